using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;

namespace ExaiFast.Tests.Cli;

/// <summary>The real executable: configuration errors, a taken port, SIGTERM draining, and a quiet stdout.</summary>
public class ServeProcessTests
{
    private const int SigTerm = 15;

    [Fact]
    public async Task BadPort_Exits2_WithOneLine_BeforeBindingAnything()
    {
        await using var daemon = ExaiFastProcess.Start("serve", "--port", "99999");

        Assert.Equal(2, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal("exaifast: invalid --port: '99999' is not an integer from 0 to 65535", daemon.Stderr.Trim());
        Assert.Equal(string.Empty, daemon.Stdout);
    }

    [Fact]
    public async Task PortInUse_Exits2_SayingSo()
    {
        using var blocker = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        blocker.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        blocker.Listen();
        int port = ((IPEndPoint)blocker.LocalEndPoint!).Port;

        await using var daemon = ExaiFastProcess.Start("serve", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(2, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal($"exaifast: cannot listen on 127.0.0.1:{port}: Address already in use; another program holds the port: choose another one (--port, EXAI_WS_PORT)", daemon.Stderr.Trim());
    }

    [Fact]
    public async Task Serve_AnswersHealth_ThenSigterm_Closes1001_AndExits0_WithNothingOnStdout()
    {
        await using var daemon = ExaiFastProcess.Start("serve", "--port", "0", "--log-level", "debug");
        int port = await daemon.WaitForPortAsync();
        var ct = TestContext.Current.CancellationToken;

        using var http = new HttpClient();
        Assert.Contains("\"status\":\"ok\"", await http.GetStringAsync($"http://127.0.0.1:{port}/health", ct));
        await using var client = await ExaiWsClient.ConnectAsync(daemon.WebSocketUri); // its hello acknowledged

        daemon.Signal(SigTerm);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, await client.ClosedAsync());
        await client.AnswerCloseAsync();

        Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(string.Empty, daemon.Stdout);
        Assert.Matches(@"Draining [12] connections", daemon.Stderr); // the WebSocket, and HttpClient's kept-alive connection
        Assert.Contains("Stopped; 0 connections aborted", daemon.Stderr);
        Assert.DoesNotContain(" ERR ", daemon.Stderr); // a clean shutdown logs no error (the accept loop's end included)
    }

    [Fact]
    public async Task JsonLogs_AreOneObjectPerLine()
    {
        await using var daemon = ExaiFastProcess.Start("serve", "--port", "0", "--log-format", "json");
        await daemon.WaitForPortAsync();
        daemon.Signal(SigTerm);
        Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)));

        var lines = daemon.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        foreach (string line in lines)
        {
            using var doc = System.Text.Json.JsonDocument.Parse(line);
            Assert.True(doc.RootElement.TryGetProperty("Message", out _) || doc.RootElement.TryGetProperty("message", out _), line);
        }
    }

    [Fact]
    public async Task JsonLogs_CarryEachCallsFields_InSnakeCase()
    {
        await using var daemon = ExaiFastProcess.Start("serve", "--port", "0", "--log-format", "json", "--log-level", "debug");
        int port = await daemon.WaitForReadyAsync();
        string session;
        await using (var client = await ExaiWsClient.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/")))
        {
            session = client.SessionId!;
            await client.CallAsync("traced-call", "chat", new System.Text.Json.Nodes.JsonObject { ["prompt"] = "hi", ["model"] = "local" });
            Assert.True((bool)(await client.ResultAsync("traced-call"))["ok"]!);
        }

        daemon.Signal(SigTerm);
        Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        var calls = daemon.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => System.Text.Json.Nodes.JsonNode.Parse(l)!.AsObject())
            .Where(o => o["request_id"] is not null && ((string?)o["Message"])?.StartsWith("Call ", StringComparison.Ordinal) == true)
            .ToDictionary(o => (string)o["request_id"]!);
        var ok = calls["traced-call"];
        Assert.Equal("Debug", (string?)ok["LogLevel"]);
        Assert.Equal(session, (string?)ok["session_id"]);
        Assert.Equal("chat", (string?)ok["tool"]);
        Assert.Equal("local", (string?)ok["lane"]);
        Assert.Equal("ok", (string?)ok["outcome"]);
        Assert.True(ok["queue_ms"]!.GetValue<double>() >= 0 && ok["run_ms"]!.GetValue<double>() >= 0, ok.ToJsonString());
    }

    [Fact]
    public async Task LogFile_FromTheEnvironment_GetsTheLogs_AndStderrStaysEmpty()
    {
        string file = Path.Combine(Path.GetTempPath(), $"exaifast-log-{Guid.NewGuid():N}.log");
        try
        {
            await using var daemon = ExaiFastProcess.Start(new Dictionary<string, string> { ["EXAIFAST_LOG_FILE"] = file }, "serve", "--port", "0");

            // The "Listening on" line, wherever it shows up first; it must be in the file.
            int? port = null;
            await ExaiWs.ExaiWsProtocolTests.Eventually(
                () => (port = (File.Exists(file) ? ExaiFastProcess.ListeningPort(ReadShared(file)) : null) ?? ExaiFastProcess.ListeningPort(daemon.Stderr)) is not null, 30_000,
                because: $"no 'Listening on' line in {file} nor on stderr within 30 s:\n{daemon.Stderr}");
            Assert.True(File.Exists(file) && ExaiFastProcess.ListeningPort(ReadShared(file)) is not null, $"the logs went to stderr, not to {file}:\n{daemon.Stderr}");
            using var http = new HttpClient();
            Assert.Contains("\"status\":\"ok\"", await http.GetStringAsync($"http://127.0.0.1:{port}/health", TestContext.Current.CancellationToken));

            daemon.Signal(SigTerm);
            Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            Assert.Contains("Stopped; 0 connections aborted", ReadShared(file)); // written to the end, flushed on exit
            Assert.Equal(string.Empty, daemon.Stderr);
            Assert.Equal(string.Empty, daemon.Stdout);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static string ReadShared(string path)
    {
        using var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
        return reader.ReadToEnd();
    }
}
