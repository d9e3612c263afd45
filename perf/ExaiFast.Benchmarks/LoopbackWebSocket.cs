using System.Net;
using System.Net.Sockets;
using System.Text;
using ExaiFast.Wire;

namespace ExaiFast.Benchmarks;

/// <summary>A blocking raw-socket WebSocket client for in-process measurements: no allocations of its own per message.</summary>
internal static class LoopbackWebSocket
{
    /// <summary>Connects and completes the handshake on <paramref name="path"/>.</summary>
    public static Socket Connect(EndPoint endPoint, string path = "/")
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        socket.Connect(endPoint);
        socket.Send(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: b\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"));
        var head = new byte[1024];
        int n = 0;
        while (!head.AsSpan(0, n).EndsWith("\r\n\r\n"u8))
        {
            n += socket.Receive(head.AsSpan(n, 1));
        }

        return socket;
    }

    /// <summary>A whole masked client frame carrying <paramref name="payload"/>.</summary>
    public static byte[] MaskedFrame(WebSocketOpcode opcode, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[FrameWriter.GetHeaderLength(payload.Length, true) + payload.Length];
        int h = FrameWriter.WriteHeader(frame, opcode, true, payload.Length, 0x0A0B0C0D);
        payload.CopyTo(frame.AsSpan(h));
        Masking.Apply(frame.AsSpan(h), 0x0A0B0C0D, 0);
        return frame;
    }
}
