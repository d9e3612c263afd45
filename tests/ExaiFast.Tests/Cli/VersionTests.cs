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
        await using var process = ExaiFastProcess.Start("--version");
        Assert.Equal(0, await process.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        string stdout = process.Stdout;

        Assert.Matches(Line(), stdout);
        Assert.Contains(ExaiFastExecutable.NativeBinary is null ? ", JIT)" : "; native linux-x64)", stdout, StringComparison.Ordinal);
    }

    // A commit when built from a git checkout (Source Link), which CI and install.sh always are.
    [GeneratedRegex(@"^exaifast \d+\.\d+\.\d+ \(commit [0-9a-f]{40}; [^)]+\)\r?\n$")]
    private static partial Regex Line();
}
