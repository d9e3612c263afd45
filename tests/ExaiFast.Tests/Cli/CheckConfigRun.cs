namespace ExaiFast.Tests.Cli;

/// <summary>One run of the real executable (<see cref="ExaiFastProcess"/>) to its exit: its code, stdout and stderr.</summary>
internal sealed record CheckConfigRun(int Code, string Stdout, string Stderr)
{
    /// <summary>Runs <c>exaifast</c> with <paramref name="environment"/> as its whole environment, in an empty directory.</summary>
    public static async Task<CheckConfigRun> StartAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        await using var process = ExaiFastProcess.Start(environment, args);
        int code = await process.WaitForExitAsync(TimeSpan.FromSeconds(60));
        return new CheckConfigRun(code, process.Stdout, process.Stderr);
    }

    /// <summary>The stderr lines, without the trailing newline.</summary>
    public string[] ErrorLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
