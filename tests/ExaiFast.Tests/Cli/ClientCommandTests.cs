using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using ExaiFast.Cli;
using ExaiFast.Core.Dispatch;
using ExaiFast.Tests.ExaiWs;
using Microsoft.Extensions.DependencyInjection;

namespace ExaiFast.Tests.Cli;

/// <summary><c>exaifast call</c> and <c>exaifast tools</c> against a real daemon.</summary>
public class ClientCommandTests
{
    private const int SigInt = 2;

    private static (int Code, string Stdout, string Stderr) Run(Daemon daemon, params string[] args) => Run(daemon, new StringWriter(), args);

    private static (int Code, string Stdout, string Stderr) Run(Daemon daemon, StringWriter stdout, params string[] args)
    {
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
        var plain = new PieceRecorder();
        var streamed = new PieceRecorder();

        Assert.Equal(0, Run(daemon, plain, "call", "chat", "-a", "prompt=stream it", "-a", "local_latency_ms=50").Code);
        var (code, stdout, _) = Run(daemon, streamed, "call", "chat", "-a", "prompt=stream it", "--stream", "-a", "local_latency_ms=50");

        Assert.Equal(0, code);
        Assert.StartsWith("[offline local model", stdout);
        Assert.Contains("You wrote: \"stream it\"", stdout);
        // The output alone is the same either way; how it was written is not. Without streaming the text is one
        // WriteLine of call_tool_res.text; with it, each stream_chunk is written as it arrives, then an empty line ends it.
        Assert.Equal([plain.ToString().TrimEnd('\n')], plain.Pieces);
        Assert.True(streamed.Pieces.Count > 3, $"--stream wrote the text in {streamed.Pieces.Count} piece(s): no stream_chunk reached the client");
        Assert.Equal(plain.ToString(), stdout); // the chunks make up the same text
        Assert.Equal(string.Empty, streamed.Pieces[^1]);
    }

    /// <summary>Records each string the CLI writes (ClientCommands writes chunks with WriteAsync, lines with WriteLineAsync).</summary>
    private sealed class PieceRecorder : StringWriter
    {
        public List<string> Pieces { get; } = [];

        public override Task WriteAsync(string? value)
        {
            Pieces.Add(value ?? string.Empty);
            return base.WriteAsync(value);
        }

        public override Task WriteLineAsync(string? value)
        {
            Pieces.Add(value ?? string.Empty);
            return base.WriteLineAsync(value);
        }
    }

    [Fact]
    public async Task CtrlC_OnARunningCall_SendsCancel_AndExits130()
    {
        // A grace far longer than the test: the call can only stop this soon because `cancel` reached the daemon,
        // not because the connection went away.
        await using var daemon = await Daemon.StartAsync(new() { ["EXAI_WS_DISCONNECT_GRACE_SECS"] = "3600" });
        var calls = daemon.Services.GetRequiredService<DispatchMetrics>().Calls;
        await using var cli = ExaiFastProcess.Start("call", "chat", "-a", "prompt=interrupt me", "-a", "local_latency_ms=600000", "--url", daemon.Uri.ToString());

        await ExaiWsProtocolTests.Eventually(() => daemon.LocalModel.Requests == 1, 30_000); // running on the daemon
        cli.Signal(SigInt);

        int exit = await cli.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.True(exit == ClientCommands.ExitInterrupted, $"exit {exit}, stderr:\n{cli.Stderr}");
        Assert.Contains("exaifast: cancelled", cli.Stderr);
        await ExaiWsProtocolTests.Eventually(() => daemon.LocalModel.Cancelled == 1 && daemon.Dispatcher.Inflight == 0, 30_000);
        Assert.Equal(1, calls.WithLabels("chat", "cancelled").Value);
    }

    [Fact]
    public async Task CtrlC_BeforeTheDaemonAnswers_Exits130()
    {
        // A listener that takes the connection and the WebSocket upgrade request and never answers: the CLI is still
        // connecting when Ctrl-C comes. Nothing was sent, so nothing is cancelled, but the exit must say Ctrl-C (130),
        // not 1 as an escaped OperationCanceledException made it, with nothing said.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        await using var cli = ExaiFastProcess.Start("call", "version", "--url", $"ws://127.0.0.1:{port}/");

        using var connection = await listener.AcceptTcpClientAsync(TestContext.Current.CancellationToken);
        var upgrade = new List<byte>();
        var buffer = new byte[4096];
        while (!System.Text.Encoding.ASCII.GetString([.. upgrade]).Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            int n = await connection.GetStream().ReadAsync(buffer, TestContext.Current.CancellationToken);
            Assert.True(n > 0, $"the CLI closed the connection before its upgrade request ended; stderr:\n{cli.Stderr}");
            upgrade.AddRange(buffer[..n]);
        }

        cli.Signal(SigInt);
        int exit = await cli.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.True(exit == ClientCommands.ExitInterrupted, $"exit {exit}, stderr:\n{cli.Stderr}");
        Assert.Contains("exaifast: cancelled", cli.Stderr);
    }

    [Fact]
    public async Task Call_WithBadArguments_Exits1_NamingTheField()
    {
        await using var daemon = await Daemon.StartAsync();
        var (code, _, stderr) = Run(daemon, "call", "chat", "--arg", "prompt=hello", "--arg", "temperature=3");
        Assert.Equal(1, code);
        Assert.Contains("INVALID_ARGUMENTS", stderr);
        Assert.Contains("'temperature'", stderr); // the bad one, beside a good one
        Assert.DoesNotContain("'prompt'", stderr);

        (code, _, stderr) = Run(daemon, "call", "chat", "--arg", "temperature=0.5");
        Assert.Equal(1, code);
        Assert.Contains("INVALID_ARGUMENTS: 'prompt' is required", stderr); // a missing one
        Assert.Equal(0, daemon.LocalModel.Requests);
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
        Assert.Equal(ExpectedTools.Names, stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[0]));
    }

    [Fact]
    public async Task Threads_ListsAThreadACallMade_AsATableAndAsJson()
    {
        await using var daemon = await Daemon.StartAsync();
        var (_, called, _) = Run(daemon, "call", "chat", "--arg", "prompt=a thread for the list\nwith a second line", "--raw");
        string thread = (string)System.Text.Json.Nodes.JsonNode.Parse(called)!["continuation_id"]!;

        var (code, stdout, stderr) = Run(daemon, "threads");
        Assert.True(code == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("ID", lines[0], StringComparison.Ordinal);
        var row = Assert.Single(lines[1..]);
        Assert.Matches($@"^{thread}  chat +local\S* +1  \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d  a thread for the list$", row);

        (code, stdout, _) = Run(daemon, "threads", "--json");
        Assert.Equal(0, code);
        var listed = Assert.Single(System.Text.Json.Nodes.JsonNode.Parse(stdout)!["threads"]!.AsArray())!;
        Assert.Equal(thread, (string?)listed["id"]);
        Assert.Equal("a thread for the list", (string?)listed["title"]);
        Assert.Equal(1, (int?)listed["turns"]);
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
