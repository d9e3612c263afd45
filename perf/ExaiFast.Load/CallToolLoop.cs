using System.Buffers;
using System.Net.WebSockets;
using System.Text;

namespace ExaiFast.Load;

/// <summary>
/// A closed loop of exai-ws <c>call_tool</c> requests: send one, read frames until its <c>call_tool_res</c>.
/// Measures the whole dispatch path (parse, admission, lane, worker, tool, local model at 0 ms, result frame).
/// </summary>
internal sealed class CallToolLoop : LoadRunner.ILoop
{
    private static readonly byte[] ResultMarker = "\"op\":\"call_tool_res\""u8.ToArray();
    private readonly ClientWebSocket _socket = new();
    private readonly byte[] _receive = new byte[64 * 1024];
    private readonly string _prefix;
    private readonly string _argumentsJson;
    private long _sequence;

    private CallToolLoop(int connection, int size)
    {
        _prefix = $"{{\"op\":\"call_tool\",\"name\":\"chat\",\"request_id\":\"c{connection}-";
        _argumentsJson = $"\",\"arguments\":{{\"prompt\":\"{new string('x', Math.Max(1, size))}\"}}}}";
    }

    public static async Task<LoadRunner.ILoop> ConnectAsync(Uri uri, int connection, int size)
    {
        var loop = new CallToolLoop(connection, size);
        loop._socket.Options.KeepAliveInterval = TimeSpan.Zero;
        await loop._socket.ConnectAsync(uri, CancellationToken.None);
        await loop._socket.SendAsync(Encoding.UTF8.GetBytes($"{{\"op\":\"hello\",\"session_id\":\"load-{connection}-{Environment.ProcessId}\"}}"), WebSocketMessageType.Text, true, CancellationToken.None);
        await loop.ReadFrameAsync(CancellationToken.None); // hello_ack
        return loop;
    }

    public async ValueTask<bool> RoundTripAsync(CancellationToken cancellationToken)
    {
        string request = _prefix + (++_sequence).ToString(System.Globalization.CultureInfo.InvariantCulture) + _argumentsJson;
        await _socket.SendAsync(Encoding.UTF8.GetBytes(request), WebSocketMessageType.Text, true, cancellationToken);
        while (true)
        {
            int n = await ReadFrameAsync(cancellationToken);
            if (n < 0)
            {
                return false;
            }

            if (_receive.AsSpan(0, n).IndexOf(ResultMarker) >= 0)
            {
                if (_receive.AsSpan(0, n).IndexOf("\"ok\":true"u8) < 0)
                {
                    throw new InvalidOperationException("call failed: " + Encoding.UTF8.GetString(_receive, 0, Math.Min(n, 300)));
                }

                return true;
            }
        }
    }

    public ValueTask DisposeAsync() => new(_socket.CloseQuietlyAsync());

    private async Task<int> ReadFrameAsync(CancellationToken cancellationToken)
    {
        int received = 0;
        while (true)
        {
            var result = await _socket.ReceiveAsync(_receive.AsMemory(received), cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return -1;
            }

            received += result.Count;
            if (result.EndOfMessage)
            {
                return received;
            }
        }
    }
}
