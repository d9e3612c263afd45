using ExaiFast.Server.Options;

namespace ExaiFast.Server.Tests.Connections;

// Each suite of this folder again over EXAIFAST_TRANSPORT=sockets (see TransportSuite). One line each, so they
// share a file: the suites themselves are the content.

public sealed class OutboundQueueTestsOverSockets : OutboundQueueTests
{
    private protected override SocketTransport Transport => SocketTransport.Sockets;
}

public sealed class UpgradedConnectionTestsOverSockets : UpgradedConnectionTests
{
    private protected override SocketTransport Transport => SocketTransport.Sockets;
}
