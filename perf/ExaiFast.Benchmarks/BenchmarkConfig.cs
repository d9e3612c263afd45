using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Validators;

namespace ExaiFast.Benchmarks;

/// <summary>One config for every benchmark: memory diagnoser, ops/s, and a failure if the JIT would not optimise.</summary>
internal static class BenchmarkConfig
{
    public static IConfig Create() => ManualConfig.Create(DefaultConfig.Instance)
        .AddDiagnoser(MemoryDiagnoser.Default)
        .AddColumn(StatisticColumn.OperationsPerSecond)
        .AddValidator(JitOptimizationsValidator.FailOnError)
        .AddJob(Job.ShortRun.WithId("short"))
        .WithOptions(ConfigOptions.JoinSummary);
}
