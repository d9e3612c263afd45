namespace ExaiFast.Tests;

/// <summary>The daemon's tools, in their list order (by name): what every front door must list, no more, no less.</summary>
internal static class ExpectedTools
{
    public static readonly string[] Names =
    [
        "analyze", "challenge", "chat", "codereview", "consensus", "debug", "docgen", "listmodels", "planner", "precommit",
        "refactor", "secaudit", "status", "testgen", "thinkdeep", "tracer", "version",
    ];
}
