using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace ExaiFast.Tests.Cli;

/// <summary>The load generator runs once, briefly, against the real executable, so perf/ can't rot unnoticed.</summary>
public partial class PerfToolSmokeTests
{
    [Theory]
    [InlineData("call", "/")]
    [InlineData("ws", "/echo")]
    public async Task LoadGenerator_MeasuresRealRoundTrips(string mode, string path)
    {
        string tool = LoadToolPath();
        Assert.True(File.Exists(tool), $"{tool} is missing: scripts/test.sh builds the whole solution, perf/ included");
        await using var daemon = ExaiFastProcess.Start("serve", "--port", "0");
        int port = await daemon.WaitForPortAsync();

        var start = HermeticStart.Create("dotnet");
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        foreach (string a in new[] { tool, mode, "--target", $"ws://127.0.0.1:{port}{path}", "--connections", "2", "--size", "32", "--duration", "0.5", "--warmup", "0.2", "--label", "smoke" })
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        string stdout = await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        string stderr = await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        HermeticStart.DeleteWorkingDirectory(start);
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}\n{stdout}\n{stderr}");
        var row = Row().Match(stdout);
        Assert.True(row.Success, stdout);
        Assert.True(double.Parse(row.Groups[1].Value.Replace(",", string.Empty, StringComparison.Ordinal), CultureInfo.InvariantCulture) > 0, stdout);
    }

    // The perf project is built with the same configuration as this test assembly (…/bin/<Configuration>/net10.0/).
    private static string LoadToolPath()
    {
        var bin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string configuration = bin.Parent!.Name;
        string root = bin.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
        return Path.Combine(root, "perf", "ExaiFast.Load", "bin", configuration, "net10.0", "exaifast-load.dll");
    }

    [GeneratedRegex(@"^\| smoke \| 2 \| 32 \| ([\d,]+) \|", RegexOptions.Multiline)]
    private static partial Regex Row();
}
