using BenchmarkDotNet.Running;

namespace ExaiFast.Benchmarks;

internal static class Program
{
    // dotnet run -c Release --project perf/ExaiFast.Benchmarks -- --filter '*'   (see scripts/micro.sh)
    private static void Main(string[] args)
    {
        if (args is ["echo-alloc"])
        {
            EchoAllocationReport.Run();
            return;
        }

        if (args is ["call-alloc"])
        {
            CallAllocationReport.RunAsync().GetAwaiter().GetResult();
            return;
        }

        if (args is ["mcp-http-alloc"])
        {
            McpHttpAllocationReport.RunAsync().GetAwaiter().GetResult();
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, BenchmarkConfig.Create());
    }
}
