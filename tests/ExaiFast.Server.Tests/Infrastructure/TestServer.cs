using System.Net;
using ExaiFast.Server.Hosting;
using ExaiFast.Server.Http;
using ExaiFast.Server.Options;
using ExaiFast.Server.WebSockets;

namespace ExaiFast.Server.Tests.Infrastructure;

/// <summary>A real server on 127.0.0.1 with an OS-assigned port.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    private TestServer(ExaiFastServer server) => Server = server;

    public ExaiFastServer Server { get; }

    public IPEndPoint EndPoint => Server.LocalEndPoint!;

    public Uri WebSocketUri => new($"ws://127.0.0.1:{EndPoint.Port}/");

    public Uri HttpUri(string path) => new($"http://127.0.0.1:{EndPoint.Port}{path}");

    public static async Task<TestServer> StartAsync(ServerOptions? options = null, IWebSocketHandler? handler = null,
        IReadOnlyDictionary<string, IHttpEndpoint>? endpoints = null)
    {
        options = (options ?? new ServerOptions()) with { Host = "127.0.0.1", Port = 0 };
        var server = new ExaiFastServer(options, handler, loggerFactory: null, metrics: null, timeProvider: null, access: null, endpoints);
        await server.StartAsync();
        return new TestServer(server);
    }

    /// <summary>Polls until <paramref name="condition"/> holds (counts settle asynchronously after a close).</summary>
    public static async Task EventuallyAsync(Func<bool> condition, string what, int timeoutMs = 10_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for: {what}");
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
    }

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}
