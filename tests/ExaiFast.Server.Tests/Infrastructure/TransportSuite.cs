using ExaiFast.Server.Http;
using ExaiFast.Server.Options;
using ExaiFast.Server.WebSockets;

namespace ExaiFast.Server.Tests.Infrastructure;

/// <summary>
/// Base of the suites that must hold over both socket adapters (<c>EXAIFAST_TRANSPORT</c>): the suite itself runs
/// over <c>streams</c>, the default, and a derived class per suite (<c>…OverSockets</c>) runs it again over
/// <c>sockets</c> (Pipelines.Sockets.Unofficial), which would otherwise be parsed and never served.
/// </summary>
public abstract class TransportSuite
{
    /// <summary>The adapter every server of this suite uses.</summary>
    private protected virtual SocketTransport Transport => SocketTransport.Streams;

    private protected Task<TestServer> StartServerAsync(ServerOptions? options = null, IWebSocketHandler? handler = null,
        IReadOnlyDictionary<string, IHttpEndpoint>? endpoints = null) =>
        TestServer.StartAsync((options ?? new ServerOptions()) with { Transport = Transport }, handler, endpoints);
}
