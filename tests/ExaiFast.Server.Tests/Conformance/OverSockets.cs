using ExaiFast.Server.Options;

namespace ExaiFast.Server.Tests.Conformance;

// Each suite of this folder again over EXAIFAST_TRANSPORT=sockets (see TransportSuite). One line each, so they
// share a file: the suites themselves are the content.

public sealed class CloseHandlingTestsOverSockets : CloseHandlingTests
{
    private protected override SocketTransport Transport => SocketTransport.Sockets;
}

public sealed class FragmentationTestsOverSockets : FragmentationTests
{
    private protected override SocketTransport Transport => SocketTransport.Sockets;
}

public sealed class FramingTestsOverSockets : FramingTests
{
    private protected override SocketTransport Transport => SocketTransport.Sockets;
}

public sealed class LimitsAndTimeoutsTestsOverSockets : LimitsAndTimeoutsTests
{
    private protected override SocketTransport Transport => SocketTransport.Sockets;
}

public sealed class PingPongTestsOverSockets : PingPongTests
{
    private protected override SocketTransport Transport => SocketTransport.Sockets;
}

public sealed class ReservedBitsAndOpcodeTestsOverSockets : ReservedBitsAndOpcodeTests
{
    private protected override SocketTransport Transport => SocketTransport.Sockets;
}

public sealed class ShutdownTestsOverSockets : ShutdownTests
{
    private protected override SocketTransport Transport => SocketTransport.Sockets;
}

public sealed class Utf8HandlingTestsOverSockets : Utf8HandlingTests
{
    private protected override SocketTransport Transport => SocketTransport.Sockets;
}
