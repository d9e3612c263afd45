using KestrelExai;

// The minimal exai daemon: stock Kestrel + ASP.NET Core WebSockets, the handler inline on the connection
// (JsonDocument to parse, Utf8JsonWriter to answer, one SendAsync per frame), no admission, no lanes.
// One port, told apart by subprotocol as ExaiFast does: none → exai-ws (hello, ping, call_tool), "mcp" → MCP
// JSON-RPC (initialize, notifications/initialized, ping, tools/list, tools/call).
// By default a call does the local model's work (LocalAnswer: word count, SHA-256, excerpt), as ExaiFast's offline
// model does. With --fixed-answer it does no tool work: ack + a constant one-item result, the floor a call can cost
// on this stack.
// Usage: dotnet KestrelExai.dll [--fixed-answer] --urls http://127.0.0.1:PORT
// The flag is taken out before the host reads the rest: its command-line configuration would take the next
// argument as the flag's value.
bool fixedAnswer = args.Contains("--fixed-answer");
var builder = WebApplication.CreateSlimBuilder(args.Where(a => a != "--fixed-answer").ToArray());
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
    await (mcp
        ? JsonRpcHandler.RunAsync(socket, fixedAnswer, context.RequestAborted)
        : ExaiHandler.RunAsync(socket, fixedAnswer, context.RequestAborted));
});
// Given port 0, Kestrel takes a free port from the OS; this line tells the launcher which, once it accepts
// (the same shape as the daemon's own "Listening on" log line). A port chosen beforehand could be taken meanwhile.
await app.StartAsync();
Console.WriteLine($"Listening on {app.Urls.First()} (kestrel)");
await app.WaitForShutdownAsync();
