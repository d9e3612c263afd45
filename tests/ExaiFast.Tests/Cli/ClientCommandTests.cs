using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using ExaiFast.Cli;
using ExaiFast.Tests.ExaiWs;

namespace ExaiFast.Tests.Cli;

/// <summary><c>exaifast call</c> and <c>exaifast tools</c> against a real daemon.</summary>
public class ClientCommandTests
{
    private static (int Code, string Stdout, string Stderr) Run(Daemon daemon, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var env = new Dictionary<string, string> { ["EXAI_WS_PORT"] = daemon.EndPoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        int code = ExaiFastCli.Run(args, env, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Call_PrintsProgressToStderr_AndTheResultToStdout()
    {
        await using var daemon = await Daemon.StartAsync();
        var (code, stdout, stderr) = Run(daemon, "call", "chat", "--arg", "prompt=hi from the cli");
        Assert.Equal(0, code);
        Assert.Contains("You wrote: \"hi from the cli\"", stdout);
        Assert.Contains("… accepted (chat", stderr);
    }

    [Fact]
    public async Task Call_Streaming_WritesChunksThatMakeUpTheText()
    {
        await using var daemon = await Daemon.StartAsync();
        var (code, stdout, _) = Run(daemon, "call", "chat", "-a", "prompt=stream it", "--stream", "-a", "local_latency_ms=50");
        Assert.Equal(0, code);
        Assert.StartsWith("[offline local model", stdout);
        Assert.Contains("You wrote: \"stream it\"", stdout);
    }

    [Fact]
    public async Task Call_WithBadArguments_Exits1_NamingTheField()
    {
        await using var daemon = await Daemon.StartAsync();
        var (code, _, stderr) = Run(daemon, "call", "chat", "--arg", "temperature=3");
        Assert.Equal(1, code);
        Assert.Contains("INVALID_ARGUMENTS: 'prompt' is required", stderr);
    }

    [Fact]
    public async Task Call_JsonArgs_AndRawOutput()
    {
        await using var daemon = await Daemon.StartAsync();
        var (code, stdout, _) = Run(daemon, "call", "chat", "--json-args", """{"prompt":"json in"}""", "--raw");
        Assert.Equal(0, code);
        var frame = JsonNode.Parse(stdout)!;
        Assert.Equal("call_tool_res", (string?)frame["op"]);
        Assert.Equal("local", (string?)frame["metrics"]!["provider"]);
    }

    [Fact]
    public async Task Tools_ListsEveryTool()
    {
        await using var daemon = await Daemon.StartAsync();
        var (code, stdout, _) = Run(daemon, "tools");
        Assert.Equal(0, code);
        Assert.Equal(["chat", "listmodels", "status", "version"], stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[0]));
    }

    [Fact]
    public void Call_WhenNoDaemonListens_Exits3_SayingSo()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        int port = ((IPEndPoint)probe.LocalEndPoint!).Port; // bound, never listening: connections are refused
        var stderr = new StringWriter();
        int code = ExaiFastCli.Run(["call", "version", "--url", $"ws://127.0.0.1:{port}/"], new Dictionary<string, string>(), new StringWriter(), stderr);
        Assert.Equal(ClientCommands.ExitUnreachable, code);
        Assert.Contains("cannot reach the daemon", stderr.ToString());
    }

    [Theory]
    [InlineData("prompt=hello world", "prompt", "\"hello world\"")]
    [InlineData("n=42", "n", "42")]
    [InlineData("stream=true", "stream", "true")]
    [InlineData("obj={\"a\":1}", "obj", "{\"a\":1}")]
    [InlineData("text=12abc", "text", "\"12abc\"")]
    [InlineData("empty=", "empty", "\"\"")]
    public void ArgumentParsing_TakesJsonLiterals_ElseStrings(string text, string key, string json)
    {
        Assert.True(DaemonClient.TryParseArgument(text, out string k, out var value));
        Assert.Equal(key, k);
        Assert.Equal(json, value!.ToJsonString());
    }

    [Fact]
    public void BadArgument_Exits2()
    {
        var stderr = new StringWriter();
        Assert.Equal(2, ExaiFastCli.Run(["call", "chat", "--arg", "novalue"], new Dictionary<string, string>(), new StringWriter(), stderr));
        Assert.Contains("--arg 'novalue' is not key=value", stderr.ToString());
    }
}
