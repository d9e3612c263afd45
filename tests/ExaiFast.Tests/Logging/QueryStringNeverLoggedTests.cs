using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using ExaiFast.Tests.Cli;

namespace ExaiFast.Tests.Logging;

/// <summary>
/// README: "No request line or query string is ever logged." The real daemon, logging at trace (text to a file, JSON to
/// stderr), gets requests whose query strings carry secrets on every door — MCP over HTTP with and without its token,
/// the status pages, the dashboard, an unknown path, WebSocket upgrades refused and accepted (the daemon's own token in
/// <c>?token=</c> among them), and heads it must refuse (an unsupported version, a malformed header, a request line with
/// a space in its target, a head over the limit) — and nothing it wrote holds a piece of any secret or a query.
/// </summary>
public class QueryStringNeverLoggedTests
{
    [Theory]
    [InlineData("text", true)]
    [InlineData("json", false)]
    public async Task NoQueryString_ReachesTheLog_OnAnyDoor_AtTrace(string format, bool toFile)
    {
        var ct = TestContext.Current.CancellationToken;
        string token = Secret();
        var secrets = new Dictionary<string, string>();
        string S(string name) => secrets[name] = Secret();
        var directory = Directory.CreateTempSubdirectory("exaifast-query-");
        string logFile = Path.Combine(directory.FullName, "daemon.log");
        var env = new Dictionary<string, string>
        {
            ["EXAI_WS_TOKEN"] = token,
            ["EXAIFAST_LOG_LEVEL"] = "trace",
            ["EXAIFAST_LOG_FORMAT"] = format,
        };
        if (toFile)
        {
            env["EXAIFAST_LOG_FILE"] = logFile;
        }

        try
        {
            string stderr, stdout;
            int sent;
            await using (var daemon = ExaiFastProcess.Start(env, "serve", "--port", "0"))
            {
                int port = toFile ? await PortFromFileAsync(logFile, daemon, ct) : await daemon.WaitForPortAsync();
                await ExaiFast.Testing.Readiness.WaitAsync(port, () => false, () => daemon.Stderr, ct);

                const string Initialize = """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"q","version":"1"}}}""";
                string Post(string target, string? bearer) =>
                    $"POST {target} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
                    + (bearer is null ? "" : $"Authorization: Bearer {bearer}\r\n")
                    + $"Content-Length: {Encoding.UTF8.GetByteCount(Initialize)}\r\nConnection: close\r\n\r\n{Initialize}";
                string Get(string target, string version = "HTTP/1.1", string extra = "") => $"GET {target} {version}\r\nHost: x\r\n{extra}Connection: close\r\n\r\n";
                string Upgrade(string target, string? protocol, string extra = "") =>
                    $"GET {target} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                    + (protocol is null ? "" : $"Sec-WebSocket-Protocol: {protocol}\r\n") + extra + "\r\n";

                (string Request, string Status)[] requests =
                [
                    (Post($"/mcp?token={S("mcp token")}&api_key={S("mcp key")}", token), " 200 "),
                    (Post($"/mcp?token={S("refused mcp token")}", null), " 401 "),
                    (Get($"/?api_key={S("root key")}"), ""),
                    (Get($"/health?api_key={S("health key")}"), " 200 "),
                    (Get($"/ready?token={S("ready token")}"), " 200 "),
                    (Get($"/metrics?secret={S("metrics secret")}"), " 200 "),
                    (Get($"/dashboard?token={S("dashboard token")}"), " 200 "),
                    (Get($"/dashboard/data?token={S("dashboard data token")}"), " 401 "),
                    (Get($"/no/such/path?secret={S("unknown path secret")}"), " 404 "),
                    (Upgrade($"/?token={S("wrong upgrade token")}", "mcp"), " 401 "),
                    (Upgrade($"/ws?api_key={S("exai-ws key")}", null), " 101 "),
                    (Upgrade($"/?token={token}&api_key={S("mcp upgrade key")}", "mcp"), " 101 "),
                    (Upgrade($"/ws?token={S("bearer upgrade token")}", "mcp", $"Authorization: Bearer {token}\r\n"), " 101 "),
                    (Get($"/?api_key={S("version key")}", "HTTP/9.9"), ""),
                    (Get($"/mcp?token={S("bad header token")}", extra: "no colon here\r\n"), " 400 "),
                    (Get($"/x?token={S("space token")} trailing"), ""),
                    (Get($"/x?token={S("huge token")}&pad={new string('p', 70_000)}"), ""),
                ];
                sent = requests.Length;
                foreach (var (request, status) in requests)
                {
                    string head = await ExchangeAsync(port, request, ct);
                    Assert.True(status.Length == 0 || head.StartsWith("HTTP/1.1" + status, StringComparison.Ordinal), $"{request[..Math.Min(request.Length, 120)]}\n→ {head}");
                }

                daemon.Signal(15); // a clean shutdown flushes the log
                Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)));
                (stderr, stdout) = (daemon.Stderr, daemon.Stdout);
            }

            string log = toFile ? await File.ReadAllTextAsync(logFile, ct) : stderr;
            // The log saw the connections at trace detail (else "absent" would prove nothing).
            Assert.Contains("Listening on", log, StringComparison.Ordinal);
            Assert.True(log.Split('\n').Count(l => l.Contains(" opened", StringComparison.Ordinal)) >= sent, log);
            string everything = log + stderr + stdout;
            secrets["daemon token"] = token;
            foreach (var (name, secret) in secrets)
            {
                SecretsNeverLeakTests.AssertAbsent(name, secret, everything, "what the daemon logged");
            }

            foreach (string query in (string[])["?token=", "?api_key=", "?secret=", "&api_key=", "&pad="])
            {
                Assert.DoesNotContain(query, everything, StringComparison.Ordinal);
            }
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    /// <summary>Writes <paramref name="request"/> on a new connection and returns the response head (or what came before
    /// the daemon closed); an accepted upgrade is left at its head.</summary>
    private static async Task<string> ExchangeAsync(int port, string request, CancellationToken ct)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port, ct);
        var stream = client.GetStream();
        try
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(request), ct);
        }
        catch (IOException)
        {
            // a head over the limit may be answered and closed before all of it is written
        }

        var received = new MemoryStream();
        var buffer = new byte[4096];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        while (true)
        {
            int n;
            try
            {
                n = await stream.ReadAsync(buffer, timeout.Token);
            }
            catch (IOException)
            {
                break; // reset after the answer
            }

            if (n == 0)
            {
                break;
            }

            received.Write(buffer, 0, n);
            string text = Encoding.UTF8.GetString(received.ToArray());
            if (text.StartsWith("HTTP/1.1 101 ", StringComparison.Ordinal) && text.Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                break;
            }
        }

        string all = Encoding.UTF8.GetString(received.ToArray());
        int end = all.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        return end < 0 ? all : all[..end];
    }

    private static async Task<int> PortFromFileAsync(string logFile, ExaiFastProcess daemon, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            if (File.Exists(logFile) && ExaiFastProcess.ListeningPort(await File.ReadAllTextAsync(logFile, ct)) is { } port)
            {
                return port;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the daemon never logged the port it listens on; stderr:\n{daemon.Stderr}");
            await Task.Delay(50, ct);
        }
    }

    // 32 random hex digits: no 8-character window of one turns up by chance in what the daemon writes.
    private static string Secret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}
