using KestrelExai;

// The "minimal exai daemon" of issue 11: stock Kestrel + ASP.NET Core WebSockets, the handler inline on the
// connection (JsonDocument to parse, Utf8JsonWriter to answer, one SendAsync per frame), no admission, no lanes.
// One port, told apart by subprotocol as ExaiFast does: none → exai-ws (hello, ping, call_tool), "mcp" → MCP
// JSON-RPC (initialize, notifications/initialized, ping, tools/list, tools/call).
// Usage: dotnet KestrelExai.dll --urls http://127.0.0.1:PORT
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var app = builder.Build();
app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.Zero });
app.Run(async context =>
{
    if (!context.WebSockets.IsWebSocketRequest)
    {
        context.Response.StatusCode = 426;
        return;
    }

    bool mcp = context.WebSockets.WebSocketRequestedProtocols.Contains("mcp");
    using var socket = await context.WebSockets.AcceptWebSocketAsync(mcp ? "mcp" : null);
    await (mcp ? JsonRpcHandler.RunAsync(socket, context.RequestAborted) : ExaiHandler.RunAsync(socket, context.RequestAborted));
});
app.Run();
