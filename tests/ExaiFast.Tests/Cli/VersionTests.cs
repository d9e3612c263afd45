using System.Diagnostics;
using System.Text.RegularExpressions;
using ExaiFast.Cli;

namespace ExaiFast.Tests.Cli;

/// <summary><c>exaifast --version</c>: the version, the commit it was built from, and whether it is the native binary.</summary>
public partial class VersionTests
{
    [Fact]
    public void Version_NamesTheVersionAndTheCommit()
    {
        var stdout = new StringWriter();
        Assert.Equal(0, ExaiFastCli.Run(["--version"], new Dictionary<string, string>(), stdout, new StringWriter()));
        Assert.Matches(Line(), stdout.ToString());
        Assert.Contains(", JIT)", stdout.ToString(), StringComparison.Ordinal); // this test process runs on the JIT
    }

    [Fact]
    public async Task TheExecutableUnderTest_SaysWhetherItIsNative()
    {
        var start = HermeticStart.Create(ExaiFastExecutable.FileName);
        ExaiFastExecutable.AddArguments(start, ["--version"]);
        start.RedirectStandardOutput = true;
        using var process = Process.Start(start)!;
        string stdout = await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        HermeticStart.DeleteWorkingDirectory(start);

        Assert.Equal(0, process.ExitCode);
        Assert.Matches(Line(), stdout);
        Assert.Contains(ExaiFastExecutable.NativeBinary is null ? ", JIT)" : "; native linux-x64)", stdout, StringComparison.Ordinal);
    }

    // A commit when built from a git checkout (Source Link), which CI and install.sh always are.
    [GeneratedRegex(@"^exaifast \d+\.\d+\.\d+ \(commit [0-9a-f]{40}; [^)]+\)\r?\n$")]
    private static partial Regex Line();
}
