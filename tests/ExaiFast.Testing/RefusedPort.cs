using System.Net;
using System.Net.Sockets;

namespace ExaiFast.Testing;

/// <summary>
/// A loopback port where every connection is refused for as long as this is held: bound, never listening, so no other
/// process can take it. A port merely freed (<see cref="FreePort.Next"/>) may be listening again by the time it is used.
/// </summary>
public sealed class RefusedPort : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    public RefusedPort()
    {
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Port = ((IPEndPoint)_socket.LocalEndPoint!).Port;
    }

    public int Port { get; }

    public void Dispose() => _socket.Dispose();
}
