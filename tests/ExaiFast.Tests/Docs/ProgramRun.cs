using System.Diagnostics;
using ExaiFast.Testing;

namespace ExaiFast.Tests.Docs;

/// <summary>One run of a program to its exit, with <see cref="HermeticStart"/>'s environment: its code, stdout and stderr.</summary>
internal sealed record ProgramRun(int Code, string Stdout, string Stderr)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    /// <summary>Runs the real <c>exaifast</c> (<see cref="ExaiFastProcess"/>) with <paramref name="args"/>, to its exit.</summary>
    public static async Task<ProgramRun> ExaiFastAsync(IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment, string workingDirectory, string? stdin = null)
    {
        await using var process = ExaiFastProcess.Start(environment, args, onStdoutLine: null, workingDirectory);
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.CloseStdin();
        int code;
        try
        {
            code = await process.WaitForExitAsync(Deadline);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"exaifast {string.Join(' ', args)} did not exit within {Deadline.TotalSeconds} s; stderr so far:\n{process.Stderr}");
        }

        return new ProgramRun(code, process.Stdout, process.Stderr);
    }

    /// <summary>Runs <paramref name="program"/> (looked up on the PATH) with <paramref name="args"/>.</summary>
    public static Task<ProgramRun> StartAsync(string program, IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment, string workingDirectory)
    {
        var start = HermeticStart.Create(program, environment, workingDirectory);
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }

        return RunAsync(start, null);
    }

    private static async Task<ProgramRun> RunAsync(ProcessStartInfo start, string? stdin)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.RedirectStandardInput = true;
        using var process = Process.Start(start)!;
        var ct = TestContext.Current.CancellationToken;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        try
        {
            await process.WaitForExitAsync(ct).WaitAsync(Deadline, ct);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{start.FileName} {string.Join(' ', start.ArgumentList)} did not exit within {Deadline.TotalSeconds} s; stderr so far:\n{await stderr}");
        }

        return new ProgramRun(process.ExitCode, await stdout, await stderr);
    }
}
