using System.Net;

namespace ExaiFast.Load;

/// <summary>Opens the connection a mode needs; every exai-ws connection is its own session, named for this run.</summary>
internal sealed class ConnectionFactory(LoadOptions options)
{
    // Sessions are keyed by (session_id, request_id) and results outlive a run (EXAI_WS_RESULT_TTL): a second run
    // reusing a session name would be answered from the store instead of running its calls.
    private readonly string _run = Guid.NewGuid().ToString("N")[..8];

    public string SessionId(int index) => $"load-{_run}-{index}";

    public Task<ILoadConnection> ConnectAsync(int index, CancellationToken cancellationToken) => options.Mode switch
    {
        "ws" => WebSocketEchoConnection.ConnectAsync(new Uri(options.Target), options.Size, cancellationToken),
        "tcp" => TcpEchoConnection.ConnectAsync(IPEndPoint.Parse(options.Target), options.Size, cancellationToken),
        "call" => ExaiConnection.ConnectAsync(new Uri(options.Target), SessionId(index), RequestTemplate.CallTool(options.Size, options.ToolLatencyMs), "call_tool_res", cancellationToken, options.Turns),
        "ping" => ExaiConnection.ConnectAsync(new Uri(options.Target), SessionId(index), RequestTemplate.Ping(), "pong", cancellationToken),
        "mcp" => McpWebSocketConnection.ConnectAsync(new Uri(options.Target), RequestTemplate.McpToolsCall(options.Size, options.ToolLatencyMs), cancellationToken),
        "mcp-http" => HttpPostConnection.ConnectMcpAsync(new Uri(options.Target), options.Size, options.Headers, cancellationToken),
        "chat-http" => HttpPostConnection.ConnectChatAsync(new Uri(options.Target), options.Size, options.ChatStream, options.Headers, cancellationToken),
        _ => throw new ArgumentException($"mode {options.Mode} has no request loop"),
    };

    /// <summary>Opens <see cref="LoadOptions.Connections"/> connections, 64 handshakes at a time; on failure closes those opened.</summary>
    public async Task<ILoadConnection[]> ConnectAllAsync(CancellationToken cancellationToken)
    {
        var connections = new ILoadConnection[options.Connections];
        try
        {
            await Parallel.ForAsync(0, connections.Length, new ParallelOptions { MaxDegreeOfParallelism = 64, CancellationToken = cancellationToken },
                async (i, ct) => connections[i] = await ConnectAsync(i, ct));
        }
        catch
        {
            await DisposeAllAsync(connections);
            throw;
        }

        return connections;
    }

    public static Task DisposeAllAsync(IEnumerable<IAsyncDisposable?> connections) =>
        Task.WhenAll(connections.Where(c => c is not null).Select(c => c!.DisposeAsync().AsTask()));
}
