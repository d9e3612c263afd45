using BenchmarkDotNet.Running;

namespace ExaiFast.Benchmarks;

internal static class Program
{
    // dotnet run -c Release --project perf/ExaiFast.Benchmarks -- --filter '*'   (see scripts/bench.sh)
    private static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, BenchmarkConfig.Create());
}
