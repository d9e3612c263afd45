using ExaiFast.Server.Options;

namespace ExaiFast.Server.Tests.Http;

// Each suite of this folder again over EXAIFAST_TRANSPORT=sockets (see TransportSuite). One line each, so they
// share a file: the suites themselves are the content.

public sealed class HttpEndpointTestsOverSockets : HttpEndpointTests
{
    private protected override SocketTransport Transport => SocketTransport.Sockets;
}

public sealed class HttpBodyTestsOverSockets : HttpBodyTests
{
    private protected override SocketTransport Transport => SocketTransport.Sockets;
}

public sealed class HttpEndpointLifecycleTestsOverSockets : HttpEndpointLifecycleTests
{
    private protected override SocketTransport Transport => SocketTransport.Sockets;
}
