using ExaiFast.Tests.Cli;
using ExaiFast.Tests.Mcp;

namespace ExaiFast.Tests.Docs;

/// <summary>
/// The documented command lines that <see cref="DocumentedCommandsTests"/> does not run itself, each with what does:
/// CI (a script <c>.ci/run</c> reaches names it), a test (named with <c>nameof</c>, so a rename breaks the build), or —
/// for the benchmarks, which measure and so run only on a quiet machine — nothing but the check that the script is
/// there, parses, and takes every flag and variable the line gives it. Keyed by the line's text without its comment,
/// exactly as documented: an entry that matches no documented line fails, so the table cannot outlive the docs.
/// </summary>
internal static class CommandsRunElsewhere
{
    /// <summary>What runs a documented command line.</summary>
    internal abstract record Runner;

    /// <summary>CI runs it: <paramref name="File"/> (a script <c>.ci/run</c> reaches) names the script.</summary>
    internal sealed record Ci(string File) : Runner;

    /// <summary>A test runs it (its source names the script).</summary>
    internal sealed record Test(Type Class, string Method) : Runner;

    /// <summary>A benchmark: not run by tests or CI; checked by <see cref="DocumentedCommandsTests.BenchmarkLines_NameScriptsThatParse_AndFlagsAndVariablesTheyRead"/>.</summary>
    internal sealed record Benchmark : Runner;

    private static readonly Benchmark Measures = new();

    public static IReadOnlyDictionary<string, Runner> Table { get; } = new Dictionary<string, Runner>(StringComparer.Ordinal)
    {
        ["scripts/install.sh"] = new Ci("scripts/test.sh"),
        ["bash scripts/test.sh"] = new Ci(".ci/run"),
        ["bash scripts/conformance.sh"] = new Test(typeof(ConformanceSuiteTests), nameof(ConformanceSuiteTests.TheOfficialConformanceSuite_PassesEveryScenarioThatAppliesToATools_OnlyServer)),
        ["scripts/bench.sh [--quick] [--rounds N] [--warm SECONDS] [--model-path] [--no-write]"] = Measures,
        ["scripts/load-ab.sh <git-rev> 3 \"1 16 64\""] = Measures,
        ["AB_MODES=\"call mcp mcp-http ws\" AB_ROUNDS=3 AB_WARMUP=15 scripts/load-ab.sh <git-rev> 3 \"64\""] = Measures,
        ["AB_CURRENT_ENV=DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0 scripts/load-ab.sh HEAD"] = Measures,
        ["scripts/profile.sh call 10"] = Measures,
        ["scripts/profile.sh mcp-http 10 artifacts/native/bin/exaifast"] = Measures,
        ["scripts/micro.sh --filter '*'"] = Measures,
        ["scripts/micro.sh echo-alloc"] = Measures,
        ["scripts/micro.sh call-alloc"] = Measures,
        ["EXAIFAST_ALLOC_TYPES=1 scripts/micro.sh call-alloc"] = Measures,
        ["scripts/load.sh 5 \"1 16 64\" \"32 4096\""] = Measures,
        ["scripts/bench-native.sh 2"] = Measures,
        ["scripts/bench-threads.sh"] = Measures,
        ["scripts/bench-model-path.sh [--quick]"] = Measures,
        ["scripts/burst.sh 8 30 4 30"] = Measures,
        ["scripts/spawn-time.py artifacts/native/bin/exaifast"] = Measures,
    };
}
