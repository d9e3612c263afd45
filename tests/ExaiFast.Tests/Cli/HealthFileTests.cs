using System.Text.Json;

namespace ExaiFast.Tests.Cli;

/// <summary>
/// <c>EXAIFAST_HEALTH_FILE</c>: a real daemon keeps the file, rewritten every interval with its live status; a reader
/// never finds it missing or half-written while the daemon runs, and a clean shutdown removes it.
/// </summary>
public sealed class HealthFileTests : IDisposable
{
    private const int SigTerm = 15;
    private readonly string _dir = Directory.CreateTempSubdirectory("exaifast-health-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task HealthFile_IsAlwaysWhole_CarriesTheLiveStatus_AndIsRemovedAtShutdown()
    {
        string file = Path.Combine(_dir, "logs", "ws_daemon.health.json"); // logs/ does not exist yet: the daemon makes it
        await using var daemon = ExaiFastProcess.Start(new Dictionary<string, string>
        {
            ["EXAIFAST_HEALTH_FILE"] = file,
            ["EXAIFAST_HEALTH_INTERVAL_SECS"] = "0.05",
        }, "serve", "--port", "0");
        int port = await daemon.WaitForReadyAsync();

        // Read as fast as possible while it is rewritten every 50 ms: every read must find a whole JSON document.
        var writes = new HashSet<string>(StringComparer.Ordinal);
        double uptime = 0;
        int reads = 0;
        while (writes.Count < 40 || reads < 2_000)
        {
            Assert.True(File.Exists(file), $"the health file was missing at read {reads}");
            byte[] bytes;
            try
            {
                bytes = File.ReadAllBytes(file);
            }
            catch (FileNotFoundException)
            {
                Assert.Fail($"the health file was missing at read {reads}");
                throw;
            }

            using var doc = Parse(bytes, reads);
            var health = doc.RootElement;
            Assert.Equal(daemon.Pid, health.GetProperty("pid").GetInt32());
            Assert.Equal(port, health.GetProperty("port").GetInt32());
            Assert.Equal("127.0.0.1", health.GetProperty("host").GetString());
            Assert.False(string.IsNullOrEmpty(health.GetProperty("version").GetString()));
            Assert.Equal("normal", health.GetProperty("memory").GetString());
            Assert.Equal("available", health.GetProperty("providers").GetProperty("local").GetProperty("state").GetString());
            Assert.Equal(ExpectedTools.Names.Length, health.GetProperty("tool_count").GetInt32());
            Assert.True(health.GetProperty("inflight").GetInt32() >= 0 && health.GetProperty("capacity").GetInt32() > 0);
            double now = health.GetProperty("uptime_s").GetDouble();
            Assert.True(now >= uptime, $"uptime went back from {uptime} to {now}");
            uptime = now;
            writes.Add(health.GetProperty("written_at").GetString()!);
            reads++;
        }

        // Live numbers, from the daemon's own status: a WebSocket session shows up in the next rewrite.
        await using (var client = await ExaiWsClient.ConnectAsync(daemon.WebSocketUri))
        {
            await ExaiWs.ExaiWsProtocolTests.Eventually(() =>
            {
                using var doc = Parse(File.ReadAllBytes(file), reads);
                return doc.RootElement.GetProperty("connections").GetInt32() == 1 && doc.RootElement.GetProperty("sessions").GetInt32() == 1;
            }, 30_000, because: "the health file never showed the open exai-ws session:\n" + File.ReadAllText(file));
        }

        daemon.Signal(SigTerm);
        Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(file)!)); // neither the file nor a temp file is left
    }

    [Fact]
    public async Task UnwritableHealthFile_Exits2_BeforeListening()
    {
        await using var daemon = ExaiFastProcess.Start(new Dictionary<string, string> { ["EXAIFAST_HEALTH_FILE"] = "/proc/exaifast-no-such-dir/health.json" }, "serve", "--port", "0");

        Assert.Equal(2, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        string stderr = daemon.Stderr.Trim();
        Assert.StartsWith("exaifast: cannot write the health file '/proc/exaifast-no-such-dir/health.json': ", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', stderr);
        Assert.DoesNotContain("Listening on", stderr, StringComparison.Ordinal);
    }

    private static JsonDocument Parse(byte[] bytes, int read)
    {
        try
        {
            return JsonDocument.Parse(bytes);
        }
        catch (JsonException ex)
        {
            throw new Xunit.Sdk.XunitException($"read {read} found a half-written health file ({ex.Message}): '{System.Text.Encoding.UTF8.GetString(bytes)}'");
        }
    }
}
