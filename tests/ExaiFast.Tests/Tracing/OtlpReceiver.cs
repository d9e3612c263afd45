using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ExaiFast.Tests.Tracing;

/// <summary>
/// An OpenTelemetry collector's OTLP/HTTP trace receiver, on a real socket on 127.0.0.1 (OS-assigned port): it takes
/// <c>POST /v1/traces</c> (protobuf, HTTP/1.1 with a Content-Length, as the .NET exporter sends it), answers 200, and
/// keeps each body raw (for a secret scan) and decoded (<see cref="OtlpSpan"/>). Debian serves no collector.
/// </summary>
internal sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<Task> _connections = new();
    private readonly Task _accepting;

    private OtlpReceiver()
    {
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public static OtlpReceiver Start() => new();

    /// <summary>The base URL, as OTEL_EXPORTER_OTLP_ENDPOINT takes it.</summary>
    public Uri BaseUrl => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

    /// <summary>Every span received so far.</summary>
    public ConcurrentQueue<OtlpSpan> Spans { get; } = new();

    /// <summary>Every request body received, as it came.</summary>
    public ConcurrentQueue<byte[]> Bodies { get; } = new();

    /// <summary>Paths of requests other than <c>POST /v1/traces</c> (the exporter must send nothing else).</summary>
    public ConcurrentQueue<string> Unexpected { get; } = new();

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
                _connections.Enqueue(ServeAsync(client));
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        var stream = client.GetStream();
        var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        try
        {
            while (true)
            {
                // The head.
                int headEnd;
                while ((headEnd = IndexOfHeadEnd(buffer)) < 0)
                {
                    int n = await stream.ReadAsync(chunk, _stop.Token).ConfigureAwait(false);
                    if (n == 0)
                    {
                        return;
                    }

                    buffer.Write(chunk, 0, n);
                }

                byte[] all = buffer.ToArray();
                string head = Encoding.ASCII.GetString(all, 0, headEnd);
                string[] lines = head.Split("\r\n");
                string[] start = lines[0].Split(' ');
                int length = 0;
                foreach (string line in lines.Skip(1))
                {
                    int colon = line.IndexOf(':', StringComparison.Ordinal);
                    if (colon > 0 && line[..colon].Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                    {
                        length = int.Parse(line[(colon + 1)..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
                    }
                }

                // The body.
                int bodyStart = headEnd + 4;
                while (all.Length - bodyStart < length)
                {
                    int n = await stream.ReadAsync(chunk, _stop.Token).ConfigureAwait(false);
                    if (n == 0)
                    {
                        return;
                    }

                    buffer.Write(chunk, 0, n);
                    all = buffer.ToArray();
                }

                byte[] body = all.AsSpan(bodyStart, length).ToArray();
                buffer.SetLength(0);
                buffer.Write(all, bodyStart + length, all.Length - bodyStart - length);

                if (start[0] == "POST" && start[1] == "/v1/traces")
                {
                    Bodies.Enqueue(body);
                    foreach (var span in OtlpSpan.DecodeRequest(body))
                    {
                        Spans.Enqueue(span);
                    }
                }
                else
                {
                    Unexpected.Enqueue(start[0] + " " + start[1]);
                }

                await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 0\r\n\r\n"u8.ToArray(), _stop.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
        }
    }

    private static int IndexOfHeadEnd(MemoryStream buffer) =>
        buffer.GetBuffer().AsSpan(0, (int)buffer.Length).IndexOf("\r\n\r\n"u8);

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _accepting.ConfigureAwait(false);
        foreach (var connection in _connections)
        {
            await connection.ConfigureAwait(false);
        }

        _stop.Dispose();
    }
}
