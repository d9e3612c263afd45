using System.Net;

namespace ExaiFast.Load.Tests;

/// <summary>Every server bench.sh measures, started once for the smoke tests: ExaiFast and the baselines as processes, the raw TCP echo in process.</summary>
public sealed class Contenders : IAsyncLifetime
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<ServerProcess> _servers = [];
    private Task? _tcpEcho;

    internal ServerProcess ExaiFast { get; private set; } = null!;

    internal ServerProcess KestrelExai { get; private set; } = null!;

    internal ServerProcess KestrelEcho { get; private set; } = null!;

    internal ServerProcess McpSdk { get; private set; } = null!;

    internal int TcpEchoPort { get; private set; }

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        var starting = new[]
        {
            ServerProcess.StartExaiFastAsync(ct),
            ServerProcess.StartBaselineAsync("KestrelExai", ["--urls", "http://127.0.0.1:0"], ct),
            ServerProcess.StartBaselineAsync("KestrelEcho", ["--urls", "http://127.0.0.1:0"], ct),
            ServerProcess.StartBaselineAsync("McpSdkHttpServer", ["--port", "0"], ct),
        };
        try
        {
            await Task.WhenAll(starting);
        }
        finally
        {
            _servers.AddRange(starting.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result));
        }

        (ExaiFast, KestrelExai, KestrelEcho, McpSdk) = (starting[0].Result, starting[1].Result, starting[2].Result, starting[3].Result);

        // A few whole exchanges per protocol first: the smoke runs measure for a fraction of a second, and a server
        // still compiling its first request's path (the MCP SDK takes longest) would answer none inside the window.
        await WarmAsync("call", $"ws://127.0.0.1:{ExaiFast.Port}/", ct);
        await WarmAsync("mcp", $"ws://127.0.0.1:{ExaiFast.Port}/", ct);
        await WarmAsync("mcp-http", $"http://127.0.0.1:{ExaiFast.Port}/mcp", ct);
        await WarmAsync("call", $"ws://127.0.0.1:{KestrelExai.Port}/", ct);
        await WarmAsync("mcp", $"ws://127.0.0.1:{KestrelExai.Port}/", ct);
        await WarmAsync("ws", $"ws://127.0.0.1:{KestrelEcho.Port}/", ct);
        await WarmAsync("mcp-http", $"http://127.0.0.1:{McpSdk.Port}/", ct);

        var listener = TcpEchoServer.Listen(new IPEndPoint(IPAddress.Loopback, 0));
        TcpEchoPort = ((IPEndPoint)listener.LocalEndPoint!).Port;
        _tcpEcho = TcpEchoServer.ServeAsync(listener, _stop.Token);
    }

    private static async Task WarmAsync(string mode, string target, CancellationToken cancellationToken)
    {
        await using var connection = await new ConnectionFactory(new LoadOptions { Mode = mode, Target = target }).ConnectAsync(0, cancellationToken);
        for (long sequence = 0; sequence < 5; sequence++)
        {
            await connection.SendAsync(sequence, cancellationToken);
            var reply = await connection.ReceiveAsync(cancellationToken);
            Assert.True(reply == new Reply(sequence, ReplyKind.Ok), $"{mode} {target}: {reply}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_tcpEcho is not null)
        {
            await _tcpEcho;
        }

        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }

        _stop.Dispose();
    }
}
