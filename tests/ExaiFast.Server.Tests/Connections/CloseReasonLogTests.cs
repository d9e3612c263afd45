using System.Net;
using ExaiFast.Server.Hosting;
using ExaiFast.Server.Options;
using ExaiFast.Server.Tests.Infrastructure;
using ExaiFast.Wire;
using Microsoft.Extensions.Logging;

namespace ExaiFast.Server.Tests.Connections;

/// <summary>The connection's close log line names why it ended: who closed first, and how.</summary>
public sealed class CloseReasonLogTests : IAsyncDisposable
{
    private readonly LogLines _log = new();
    private ExaiFastServer? _server;

    private async Task<IPEndPoint> StartAsync()
    {
        _server = new ExaiFastServer(new ServerOptions { Host = "127.0.0.1", Port = 0, DrainTimeout = TimeSpan.FromSeconds(5) }, handler: null, loggerFactory: _log);
        await _server.StartAsync();
        return _server.LocalEndPoint!;
    }

    private Task ClosedAsync(string reason) =>
        TestServer.EventuallyAsync(() => _log.Lines.Any(l => l.EndsWith($" closed: {reason}", StringComparison.Ordinal)), $"a connection closed: {reason}; the log: {string.Join(" | ", _log.Lines)}");

    [Fact]
    public async Task ThePeersClose_IsLoggedAsPeerClosed()
    {
        var client = await RawWebSocketClient.ConnectAsync(await StartAsync());
        await client.SendCloseAsync(CloseCodes.Normal);
        Assert.Equal(CloseCodes.Normal, (await client.ReadFrameAsync())!.CloseCode);
        await client.DisposeAsync(); // our end, so the server's lingering close need not wait for its deadline

        await ClosedAsync("peer closed");
    }

    [Fact]
    public async Task OurCloseAnswered_IsLoggedAsTheHandshakeCompleted()
    {
        var client = await RawWebSocketClient.ConnectAsync(await StartAsync());
        var stopping = _server!.StopAsync(TestContext.Current.CancellationToken);
        Assert.Equal(CloseCodes.GoingAway, (await client.ReadFrameAsync())!.CloseCode);
        await client.SendCloseAsync(CloseCodes.GoingAway);
        Assert.True(await client.WaitForServerCloseAsync());
        await client.DisposeAsync();
        await stopping;

        await ClosedAsync("closing handshake completed");
    }

    [Fact]
    public async Task ATcpEndWithoutAClose_IsLoggedAsSuch()
    {
        var client = await RawWebSocketClient.ConnectAsync(await StartAsync());
        await client.DisposeAsync();

        await ClosedAsync("peer closed the TCP connection without a close frame");
    }

    [Fact]
    public async Task AProtocolError_IsLoggedByWhatWasWrong()
    {
        var client = await RawWebSocketClient.ConnectAsync(await StartAsync());
        await client.SendFrameAsync(WebSocketOpcode.Text, "x"u8, mask: false);
        Assert.Equal(CloseCodes.ProtocolError, (await client.ReadFrameAsync())!.CloseCode);
        await client.DisposeAsync();

        await ClosedAsync("client frame is not masked");
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    /// <summary>Every log line the server writes, formatted.</summary>
    private sealed class LogLines : ILoggerFactory, ILogger
    {
        private readonly List<string> _lines = [];

        public string[] Lines
        {
            get
            {
                lock (_lines)
                {
                    return [.. _lines];
                }
            }
        }

        public ILogger CreateLogger(string categoryName) => this;

        public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_lines)
            {
                _lines.Add(formatter(state, exception));
            }
        }

        public void Dispose()
        {
        }
    }
}
