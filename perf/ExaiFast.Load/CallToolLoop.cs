using System.Buffers;
using System.Net.WebSockets;
using System.Text;

namespace ExaiFast.Load;

/// <summary>
/// A closed loop of tool calls — exai-ws <c>call_tool</c>, or MCP <c>tools/call</c> over WebSocket: send one, read
/// frames until its result. Measures the whole dispatch path (parse, admission, lane, worker, tool, local model at
/// 0 ms, result frame).
/// </summary>
internal sealed class CallToolLoop : LoadRunner.ILoop
{
    private readonly ClientWebSocket _socket = new();
    private readonly byte[] _receive = new byte[64 * 1024];
    private readonly byte[] _resultMarker;
    private readonly byte[] _okMarker;
    private readonly string _prefix;
    private readonly string _argumentsJson;
    private long _sequence;

    private CallToolLoop(bool mcp, int connection, int size)
    {
        string prompt = new('x', Math.Max(1, size));
        if (mcp)
        {
            // The response is the one message without "method" (progress notifications have one).
            _resultMarker = "{\"jsonrpc\":\"2.0\",\"id\":"u8.ToArray();
            _okMarker = "\"isError\":false"u8.ToArray();
            _prefix = "{\"jsonrpc\":\"2.0\",\"method\":\"tools/call\",\"id\":";
            _argumentsJson = $",\"params\":{{\"name\":\"chat\",\"arguments\":{{\"prompt\":\"{prompt}\"}}}}}}";
        }
        else
        {
            _resultMarker = "\"op\":\"call_tool_res\""u8.ToArray();
            _okMarker = "\"ok\":true"u8.ToArray();
            _prefix = $"{{\"op\":\"call_tool\",\"name\":\"chat\",\"request_id\":\"c{connection}-";
            _argumentsJson = $"\",\"arguments\":{{\"prompt\":\"{prompt}\"}}}}";
        }
    }

    /// <summary>An exai-ws loop (hello, then call_tool) or, with <paramref name="mcp"/>, an MCP one (initialize, then tools/call).</summary>
    public static async Task<LoadRunner.ILoop> ConnectAsync(Uri uri, int connection, int size, bool mcp = false)
    {
        var loop = new CallToolLoop(mcp, connection, size);
        loop._socket.Options.KeepAliveInterval = TimeSpan.Zero;
        if (mcp)
        {
            loop._socket.Options.AddSubProtocol("mcp");
        }

        await loop._socket.ConnectAsync(uri, CancellationToken.None);
        string opening = mcp
            ? """{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"exaifast-load","version":"1"}}}"""
            : $"{{\"op\":\"hello\",\"session_id\":\"load-{connection}-{Environment.ProcessId}\"}}";
        await loop._socket.SendAsync(Encoding.UTF8.GetBytes(opening), WebSocketMessageType.Text, true, CancellationToken.None);
        await loop.ReadFrameAsync(CancellationToken.None); // hello_ack, or initialize's result
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

            if (_receive.AsSpan(0, n).IndexOf(_resultMarker) >= 0)
            {
                if (_receive.AsSpan(0, n).IndexOf(_okMarker) < 0)
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
