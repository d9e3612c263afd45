using System.Buffers.Binary;
using ExaiFast.Server.WebSockets;
using ExaiFast.Wire;

namespace ExaiFast.Server.Tests.Connections;

/// <summary>
/// On any message, sends <c>frames</c> binary frames numbered 0, 1, … from a worker (as tool results are sent), so the
/// connection's reader stays free; reports the first send that had to wait for room in the outbound queue.
/// </summary>
internal sealed class FloodHandler(int frames, int frameBytes) : IWebSocketHandler
{
    private int _sent;

    /// <summary>Set when a send found the outbound queue full (its ValueTask was not complete at once).</summary>
    public TaskCompletionSource SenderWaited { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Set when every frame was handed to the connection.</summary>
    public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Frames whose send has completed (queued).</summary>
    public int Sent => Volatile.Read(ref _sent);

    public IWebSocketDoor Open(IWebSocketSession session) => new Door(this, session);

    private sealed class Door(FloodHandler handler, IWebSocketSession session) : IWebSocketDoor
    {
        public ValueTask OnMessageAsync(WebSocketMessage message, CancellationToken cancellationToken)
        {
            message.Payload.Return();
            _ = Task.Run(() => handler.FloodAsync(session));
            return default;
        }

        public void OnClosed()
        {
        }
    }

    private async Task FloodAsync(IWebSocketSession session)
    {
        try
        {
            var data = new byte[frameBytes];
            for (int i = 0; i < frames; i++)
            {
                BinaryPrimitives.WriteInt32BigEndian(data, i);
                var pending = session.SendAsync(WebSocketOpcode.Binary, PooledBuffer.CopyOf(data));
                if (!pending.IsCompleted)
                {
                    SenderWaited.TrySetResult();
                }

                await pending;
                Interlocked.Increment(ref _sent);
            }

            Done.TrySetResult();
        }
        catch (Exception ex)
        {
            Done.TrySetException(ex);
            SenderWaited.TrySetException(ex);
        }
    }
}
