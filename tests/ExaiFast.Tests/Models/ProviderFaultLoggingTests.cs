using System.Text;
using System.Text.Json.Nodes;
using ExaiFast.Tests.ExaiWs;

namespace ExaiFast.Tests.Models;

/// <summary>
/// An upstream's faults that the daemon handles — a response head that never comes (timed out, retried), a 500
/// (retried) — are warnings in its log, one line per failed request, never errors; Polly's own telemetry (a line per
/// attempt, an error per timeout) is not logged at all. The real composition root logging at information to a stream.
/// </summary>
public class ProviderFaultLoggingTests
{
    [Fact]
    public async Task HandledUpstreamFaults_AreWarnings_AndPollyLogsNothing()
    {
        await using var fake = FakeOpenAIServer.Start();
        var log = new LockedLog();
        var daemon = await Daemon.StartAsync(new()
        {
            ["OPENAI_COMPATIBLE_BASE_URL"] = fake.BaseUrl.ToString(),
            ["OPENAI_COMPATIBLE_API_KEY"] = ProviderRig.ApiKey,
            ["OPENAI_COMPATIBLE_MODELS"] = "hang-headers,status-500",
            ["EXAIFAST_PROVIDER_HEADERS_TIMEOUT_SECS"] = "0.3",
            ["EXAIFAST_PROVIDER_RETRY_DELAY_SECS"] = "0.01",
            ["EXAIFAST_LOG_LEVEL"] = "information",
        }, log: log);
        try
        {
            await using var client = await ExaiWsClient.ConnectAsync(daemon.Uri);
            foreach (string model in new[] { "hang-headers", "status-500" })
            {
                await client.CallAsync(model, "chat", new JsonObject { ["prompt"] = "hi", ["model"] = model });
                var result = await client.ResultAsync(model, 60_000);
                Assert.False((bool)result["ok"]!, result.ToJsonString());
                Assert.Equal("PROVIDER_ERROR", (string?)result["error"]!["code"]);
            }

            Assert.True(fake.Attempts("status-500") > 1, "the 500 was not retried: Polly had no attempt to log");
        }
        finally
        {
            await daemon.DisposeAsync(); // flushes the log
        }

        string text = log.Text;
        Assert.Contains("failed a request for hang-headers", text, StringComparison.Ordinal);
        Assert.Contains("failed a request for status-500", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Polly", text, StringComparison.Ordinal);
        Assert.DoesNotContain(" ERR ", text, StringComparison.Ordinal);
    }

    /// <summary>A log stream written by the logger's thread and read by the test.</summary>
    private sealed class LockedLog : Stream
    {
        private readonly MemoryStream _bytes = new();

        public string Text
        {
            get
            {
                lock (_bytes)
                {
                    return Encoding.UTF8.GetString(_bytes.GetBuffer(), 0, (int)_bytes.Length);
                }
            }
        }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count)
        {
            lock (_bytes)
            {
                _bytes.Write(buffer, offset, count);
            }
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            lock (_bytes)
            {
                _bytes.Write(buffer);
            }
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
