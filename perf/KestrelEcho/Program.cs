using System.Net.WebSockets;

// Stock Kestrel + ASP.NET Core WebSockets, as a developer would write an echo: the ".NET default" baseline.
// Usage: dotnet KestrelEcho.dll --urls http://127.0.0.1:PORT
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

    using var socket = await context.WebSockets.AcceptWebSocketAsync();
    var buffer = new byte[64 * 1024];
    while (true)
    {
        var result = await socket.ReceiveAsync(buffer.AsMemory(), context.RequestAborted);
        if (result.MessageType == WebSocketMessageType.Close)
        {
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
            return;
        }

        await socket.SendAsync(buffer.AsMemory(0, result.Count), result.MessageType, result.EndOfMessage, context.RequestAborted);
    }
});
// Given port 0, Kestrel takes a free port from the OS; this line tells the launcher which, once it accepts
// (the same shape as the daemon's own "Listening on" log line). A port chosen beforehand could be taken meanwhile.
await app.StartAsync();
Console.WriteLine($"Listening on {app.Urls.First()} (kestrel)");
await app.WaitForShutdownAsync();
