using ExaiFast.Cli;
using ExaiFast.Configuration;

namespace ExaiFast.Tests.Configuration;

/// <summary>
/// The settings of conversation threads and of the files tools read: their defaults, their values reaching the options,
/// and a bad value refused in one line naming the variable (exit 2 from the CLI).
/// </summary>
public class ConversationSettingsTests
{
    private static readonly Dictionary<string, string> None = [];

    private static ExaiFastSettings Load(string key, string value) =>
        SettingsLoader.Load(new Dictionary<string, string> { [key] = value }, None, envFile: HermeticStart.EmptyEnvFile);

    [Fact]
    public void Defaults_Are20Turns_3Hours_10000Threads_256MiB_And512KiBAFile_2MiBACall_AnyRoot()
    {
        var s = SettingsLoader.Load(None, None, envFile: HermeticStart.EmptyEnvFile);
        Assert.Equal(20, s.Threads.MaxTurns);
        Assert.Equal(TimeSpan.FromHours(3), s.Threads.Ttl);
        Assert.Equal(10_000, s.Threads.MaxThreads);
        Assert.Equal(10_000, s.Dispatcher.ResultStoreCapacity);
        Assert.Equal(256L << 20, s.Threads.MaxBytes);
        Assert.Equal(512L << 10, s.Files.MaxFileBytes);
        Assert.Equal(2L << 20, s.Files.MaxTotalBytes);
        Assert.Empty(s.Files.Roots);
    }

    [Fact]
    public void Values_ReachTheOptions()
    {
        Assert.Equal(7, Load("MAX_CONVERSATION_TURNS", "7").Threads.MaxTurns);
        Assert.Equal(TimeSpan.FromHours(24), Load("CONVERSATION_TIMEOUT_HOURS", "24").Threads.Ttl);
        Assert.Equal(50, Load("EXAIFAST_THREADS_MAX", "50").Threads.MaxThreads);
        Assert.Equal(3L << 20, Load("EXAIFAST_THREADS_MAX_MB", "3").Threads.MaxBytes);
        Assert.Equal(1000, Load("EXAIFAST_RESULTS_MAX", "1000").Dispatcher.ResultStoreCapacity);
        Assert.Equal(64L << 10, Load("EXAIFAST_FILE_MAX_KB", "64").Files.MaxFileBytes);
        Assert.Equal(100L << 10, Load("EXAIFAST_FILES_MAX_KB", "100").Files.MaxTotalBytes);
        Assert.Equal(["/srv/code", "/home/me/src"], Load("EXAIFAST_FILE_ROOTS", " /srv/code , /home/me/src ,").Files.Roots);
        var flags = SettingsLoader.Load(None, new Dictionary<string, string> { ["MAX_CONVERSATION_TURNS"] = "9", ["EXAIFAST_FILE_ROOTS"] = "/x" }, HermeticStart.EmptyEnvFile);
        Assert.Equal(9, flags.Threads.MaxTurns);
        Assert.Equal(["/x"], flags.Files.Roots);
    }

    [Theory]
    [InlineData("MAX_CONVERSATION_TURNS", "0", "'0' is not an integer from 1 to 1000")]
    [InlineData("MAX_CONVERSATION_TURNS", "1001", "'1001' is not an integer from 1 to 1000")]
    [InlineData("MAX_CONVERSATION_TURNS", "many", "'many' is not an integer from 1 to 1000")]
    [InlineData("CONVERSATION_TIMEOUT_HOURS", "0", "'0' is not an integer from 1 to 720")]
    [InlineData("CONVERSATION_TIMEOUT_HOURS", "1.5", "'1.5' is not an integer from 1 to 720")]
    [InlineData("EXAIFAST_THREADS_MAX", "0", "'0' is not an integer from 1 to 10000000")]
    [InlineData("EXAIFAST_THREADS_MAX_MB", "-1", "'-1' is not an integer from 1 to 1048576")]
    [InlineData("EXAIFAST_FILE_MAX_KB", "0", "'0' is not an integer from 1 to 1048576")]
    [InlineData("EXAIFAST_FILES_MAX_KB", "lots", "'lots' is not an integer from 1 to 4194304")]
    [InlineData("EXAIFAST_FILE_ROOTS", "relative/dir", "'relative/dir' is not comma-separated absolute directories")]
    [InlineData("EXAIFAST_FILE_ROOTS", "/ok,./not", "'/ok,./not' is not comma-separated absolute directories")]
    public void BadValues_AreRefusedInOneLine_NamingTheVariable(string key, string value, string says)
    {
        var ex = Assert.Throws<ConfigurationException>(() => Load(key, value));
        Assert.Equal($"invalid {key} (from environment): {says}", ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Theory]
    [InlineData(new[] { "serve", "--max-conversation-turns", "0" }, "exaifast: invalid --max-conversation-turns: '0' is not an integer from 1 to 1000")]
    [InlineData(new[] { "serve", "--conversation-timeout-hours", "9999" }, "exaifast: invalid --conversation-timeout-hours: '9999' is not an integer from 1 to 720")]
    [InlineData(new[] { "serve", "--threads-max", "x" }, "exaifast: invalid --threads-max: 'x' is not an integer from 1 to 10000000")]
    [InlineData(new[] { "serve", "--threads-max-mb", "0" }, "exaifast: invalid --threads-max-mb: '0' is not an integer from 1 to 1048576")]
    [InlineData(new[] { "serve", "--file-max-kb", "0" }, "exaifast: invalid --file-max-kb: '0' is not an integer from 1 to 1048576")]
    [InlineData(new[] { "serve", "--files-max-kb", "0" }, "exaifast: invalid --files-max-kb: '0' is not an integer from 1 to 4194304")]
    [InlineData(new[] { "serve", "--file-roots", "here" }, "exaifast: invalid --file-roots: 'here' is not comma-separated absolute directories")]
    public void Cli_BadValue_Exits2_WithOneLine(string[] args, string line)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = ExaiFastCli.Run(args, new Dictionary<string, string>(), stdout, stderr);
        Assert.Equal(2, code);
        Assert.Equal(ExaiFastCli.ExitConfig, code);
        Assert.Equal(line, stderr.ToString().TrimEnd());
        Assert.Equal(string.Empty, stdout.ToString());
    }
}
