using ExaiFast.Server.Options;

namespace ExaiFast.Server.Tests.Interop;

// Each suite of this folder again over EXAIFAST_TRANSPORT=sockets (see TransportSuite). One line each, so they
// share a file: the suites themselves are the content.

public sealed class ClientWebSocketInteropTestsOverSockets : ClientWebSocketInteropTests
{
    private protected override SocketTransport Transport => SocketTransport.Sockets;
}

public sealed class NodeWsInteropTestsOverSockets : NodeWsInteropTests
{
    private protected override SocketTransport Transport => SocketTransport.Sockets;
}
