using System.Buffers.Binary;
using ExaiFast.Server.WebSockets;
using ExaiFast.Wire;

namespace ExaiFast.Server.Tests.Connections;

/// <summary>
/// On any message, sends <c>frames</c> binary frames numbered 0, 1, … from a worker (as tool results are sent), so the
/// connection's reader stays free; reports the first send that had to wait for room in the outbound queue.
/// </summary>
/// <remarks>With <c>awaitEach</c> false the worker does not wait for one send before making the next (as an exai-ws
/// call's stream chunks are sent): the sends that find the queue full wait side by side, and must still leave in order.</remarks>
internal sealed class FloodHandler(int frames, int frameBytes, bool awaitEach = true) : IWebSocketHandler
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
            var waiting = new List<Task>();
            for (int i = 0; i < frames; i++)
            {
                BinaryPrimitives.WriteInt32BigEndian(data, i);
                var pending = session.SendAsync(WebSocketOpcode.Binary, PooledBuffer.CopyOf(data));
                if (!pending.IsCompleted)
                {
                    SenderWaited.TrySetResult();
                }

                if (awaitEach)
                {
                    await pending;
                    Interlocked.Increment(ref _sent);
                }
                else
                {
                    waiting.Add(CountWhenQueuedAsync(pending));
                }
            }

            await Task.WhenAll(waiting);
            Done.TrySetResult();
        }
        catch (Exception ex)
        {
            Done.TrySetException(ex);
            SenderWaited.TrySetException(ex);
        }
    }

    private async Task CountWhenQueuedAsync(ValueTask pending)
    {
        await pending;
        Interlocked.Increment(ref _sent);
    }
}
