using ExaiFast.Server.Options;

namespace ExaiFast.Server.Tests.Conformance;

// Each suite of this folder again over EXAIFAST_TRANSPORT=sockets (see TransportSuite). One line each, so they
// share a file: the suites themselves are the content.

public sealed class CloseHandlingTestsOverSockets : CloseHandlingTests
{
    protected override SocketTransport Transport => SocketTransport.Sockets;
}

public sealed class FragmentationTestsOverSockets : FragmentationTests
{
    protected override SocketTransport Transport => SocketTransport.Sockets;
}

public sealed class FramingTestsOverSockets : FramingTests
{
    protected override SocketTransport Transport => SocketTransport.Sockets;
}

public sealed class LimitsAndTimeoutsTestsOverSockets : LimitsAndTimeoutsTests
{
    protected override SocketTransport Transport => SocketTransport.Sockets;
}

public sealed class PingPongTestsOverSockets : PingPongTests
{
    protected override SocketTransport Transport => SocketTransport.Sockets;
}

public sealed class ReservedBitsAndOpcodeTestsOverSockets : ReservedBitsAndOpcodeTests
{
    protected override SocketTransport Transport => SocketTransport.Sockets;
}

public sealed class ShutdownTestsOverSockets : ShutdownTests
{
    protected override SocketTransport Transport => SocketTransport.Sockets;
}

public sealed class Utf8HandlingTestsOverSockets : Utf8HandlingTests
{
    protected override SocketTransport Transport => SocketTransport.Sockets;
}
