using System.Diagnostics;

namespace ExaiFast.Testing;

/// <summary>Runs the independent Node clients of tests/clients (installed by scripts/test.sh with npm ci).</summary>
public static class NodeProcess
{
    /// <summary>Runs <paramref name="script"/> from tests/clients with Node; kills it after two minutes.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string script, string[] args)
    {
        var start = HermeticStart.Create("node", workingDirectory: RepoPaths.Clients);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.ArgumentList.Add(script);
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
