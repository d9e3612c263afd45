using System.Diagnostics;

namespace ExaiFast.Server.Tests.Infrastructure;

/// <summary>What a child process of a test sees: nothing of the runner's environment but the essentials, and an empty directory.</summary>
public class HermeticStartTests
{
    [Fact]
    public async Task AChild_SeesOnlyTheEssentials_AndWhatTheTestSets_InAnEmptyDirectoryOfItsOwn()
    {
        // The runner itself always has variables a child must not get (dotnet sets DOTNET_* and MSBuild ones; CI more).
        Assert.Contains(Environment.GetEnvironmentVariables().Keys.Cast<string>(), k => !IsEssential(k));

        var start = HermeticStart.Create("sh", new Dictionary<string, string> { ["KIMI_API_KEY"] = "set-by-the-test" });
        start.RedirectStandardOutput = true;
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("env; echo cwd=$(pwd); ls -A | wc -l");
        using var process = Process.Start(start)!;
        string output = await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        HermeticStart.DeleteWorkingDirectory(start);

        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var names = lines.Where(l => l.Contains('=', StringComparison.Ordinal) && !l.StartsWith("cwd=", StringComparison.Ordinal)).Select(l => l[..l.IndexOf('=', StringComparison.Ordinal)]);
        var unexpected = names.Where(n => !IsEssential(n) && n != "KIMI_API_KEY" && !ShellOwn.Contains(n)).ToList();
        Assert.True(unexpected.Count == 0, "the child inherited: " + string.Join(", ", unexpected));
        Assert.Contains("KIMI_API_KEY=set-by-the-test", lines);
        Assert.Contains($"cwd={start.WorkingDirectory}", lines);
        Assert.NotEqual(Environment.CurrentDirectory, start.WorkingDirectory);
        Assert.Equal("0", lines[^1].Trim()); // nothing in it: no .env to read
    }

    // sh sets these itself, whatever it was given.
    private static readonly string[] ShellOwn = ["PWD", "SHLVL", "_", "OLDPWD"];

    private static bool IsEssential(string name) => name is "PATH" or "HOME" or "TMPDIR" || name.StartsWith("DOTNET_ROOT", StringComparison.Ordinal);
}
