using System.Net.WebSockets;

namespace ExaiFast.Load;

/// <summary>Ending a load loop's socket whatever state the stop left it in.</summary>
internal static class ClientWebSocketExtensions
{
    /// <summary>Closes with 1000 if it can within 2 s, else aborts; never throws.</summary>
    public static async Task CloseQuietlyAsync(this ClientWebSocket socket)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or InvalidOperationException)
        {
            // the loop was cancelled mid-operation
        }

        socket.Dispose();
    }
}
