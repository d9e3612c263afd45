using System.Threading.Channels;
using ExaiFast.Server.Mcp;
using ExaiFast.Server.WebSockets;

namespace ExaiFast.Server.Stdio;

/// <summary>
/// The stdio bridge's only writer to stdout: every JSON-RPC message as one line, in the order it was queued.
/// </summary>
/// <remarks>
/// A bounded queue drained by one loop, so that no two threads ever write to stdout and nothing but whole JSON-RPC
/// lines reaches it. Responses are never dropped: when the queue is full they wait for room (without blocking the
/// caller); progress notifications are dropped instead, as on every other transport. Thread-safe.
/// </remarks>
internal sealed class StdioReply : IMcpReply, IAsyncDisposable
{
    private const byte ByteLF = (byte)'\n';

    private readonly Stream _output;
    private readonly Channel<PooledBuffer> _queue;
    private readonly Task _writeLoop;
    private long _dropped;

    /// <summary>Starts the writer loop.</summary>
    /// <param name="output">Standard output (a test passes its own stream).</param>
    /// <param name="capacity">Messages queued before progress is dropped and responses wait.</param>
    public StdioReply(Stream output, int capacity = 1024)
    {
        _output = new BufferedStream(output, 64 * 1024); // one write per batch, not one per line and newline
        _queue = Channel.CreateBounded<PooledBuffer>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
            AllowSynchronousContinuations = false,
        });
        _writeLoop = Task.Run(WriteLoopAsync);
    }

    /// <summary>Progress notifications dropped because stdout was not read fast enough.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Set when writing to stdout failed (the client closed its end): nothing more can be sent.</summary>
    public bool Broken { get; private set; }

    /// <inheritdoc />
    public void Respond(PooledBuffer response)
    {
        if (_queue.Writer.TryWrite(response))
        {
            return;
        }

        _ = RespondSlowAsync(response);
    }

    /// <inheritdoc />
    public bool TryNotify(PooledBuffer notification)
    {
        if (_queue.Writer.TryWrite(notification))
        {
            return true;
        }

        Interlocked.Increment(ref _dropped);
        notification.Return();
        return false;
    }

    /// <summary>Writes what is queued, flushes stdout and stops the loop; later messages are discarded.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writeLoop.ConfigureAwait(false);
        try
        {
            await _output.DisposeAsync().ConfigureAwait(false);
        }
        catch (IOException)
        {
            // the client closed stdout
        }
    }

    private async Task RespondSlowAsync(PooledBuffer response)
    {
        try
        {
            await _queue.Writer.WriteAsync(response).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            response.Return(); // the bridge is ending: nobody reads stdout any more
        }
    }

    private async Task WriteLoopAsync()
    {
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var message))
            {
                try
                {
                    if (!Broken)
                    {
                        await _output.WriteAsync(message.Memory).ConfigureAwait(false);
                        _output.WriteByte(ByteLF);
                    }
                }
                catch (IOException)
                {
                    Broken = true; // EPIPE: the client is gone; keep draining so that no producer waits for ever
                }
                finally
                {
                    message.Return();
                }
            }

            try
            {
                if (!Broken)
                {
                    await _output.FlushAsync().ConfigureAwait(false); // once per batch
                }
            }
            catch (IOException)
            {
                Broken = true;
            }
        }
    }
}
