using System.Buffers;
using System.Threading.Channels;
using ZLogger;

namespace ExaiFast.Logging;

/// <summary>
/// ZLogger's background writer, ours: a bounded queue (full: the entry is dropped and counted, the caller never
/// waits) drained by one loop that formats into a growable buffer and writes whole lines to a stream.
/// </summary>
/// <remarks>
/// We don't use ZLogger's own stream writers: on Linux they can stop writing for good when a line ends exactly at
/// their 64 KiB buffer boundary (Cysharp/ZLogger#237, open at 2.5.10; 2.6.1 keeps the same StreamBufferWriter).
/// Here the buffer grows to fit and is written whole, so there is no boundary to hit; LoggingBoundaryTests write
/// lines ending at every offset around 64 KiB to prove it. <see cref="Post"/> is thread-safe.
/// </remarks>
internal sealed class BoundedLogProcessor : IAsyncLogProcessor
{
    private const int FlushThreshold = 64 * 1024;

    private readonly Stream _stream;
    private readonly bool _ownsStream;
    private readonly IZLoggerFormatter _formatter;
    private readonly Channel<IZLoggerEntry> _queue;
    private readonly Task _writeLoop;
    private long _dropped;
    private long _written;

    /// <summary>Starts the writer loop.</summary>
    /// <param name="stream">Where lines go (stderr or a log file).</param>
    /// <param name="formatter">The ZLogger formatter (text or JSON).</param>
    /// <param name="capacity">Queued entries before new ones are dropped.</param>
    /// <param name="ownsStream">Whether disposing this disposes <paramref name="stream"/>.</param>
    public BoundedLogProcessor(Stream stream, IZLoggerFormatter formatter, int capacity, bool ownsStream)
    {
        _stream = stream;
        _ownsStream = ownsStream;
        _formatter = formatter;
        _queue = Channel.CreateBounded<IZLoggerEntry>(
            new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true, SingleWriter = false, AllowSynchronousContinuations = false },
            OnDropped);
        _writeLoop = Task.Run(WriteLoopAsync);
    }

    /// <summary>Entries dropped because the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Entries written.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <inheritdoc />
    public void Post(IZLoggerEntry log)
    {
        // Full queue: DropWrite hands the new entry to OnDropped instead of waiting. After disposal TryWrite fails.
        if (!_queue.Writer.TryWrite(log))
        {
            log.Return();
        }
    }

    private void OnDropped(IZLoggerEntry entry)
    {
        entry.Return();
        Interlocked.Increment(ref _dropped);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writeLoop.ConfigureAwait(false);
        await _stream.FlushAsync().ConfigureAwait(false);
        if (_ownsStream)
        {
            await _stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task WriteLoopAsync()
    {
        var buffer = new ArrayBufferWriter<byte>(FlushThreshold);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var entry))
            {
                int mark = buffer.WrittenCount;
                try
                {
                    _formatter.FormatLogEntry(buffer, entry);
                    // WithLineBreak: the formatter expects the processor to end the line (ZLogger's contract).
                    if (_formatter.WithLineBreak)
                    {
                        buffer.Write("\n"u8);
                    }

                    Interlocked.Increment(ref _written);
                }
                catch (Exception ex)
                {
                    // A formatting bug must neither stop logging nor lose the event silently. The partial output
                    // can't be taken back from an ArrayBufferWriter, so end that line and say what happened.
                    if (buffer.WrittenCount > mark)
                    {
                        buffer.Write("\n"u8);
                    }

                    WriteFallbackLine(buffer, entry, ex);
                }
                finally
                {
                    entry.Return();
                }

                if (buffer.WrittenCount >= FlushThreshold)
                {
                    await WriteOutAsync(buffer).ConfigureAwait(false);
                }
            }

            await WriteOutAsync(buffer).ConfigureAwait(false);
        }
    }

    private static void WriteFallbackLine(ArrayBufferWriter<byte> buffer, IZLoggerEntry entry, Exception ex)
    {
        string line = $"log entry of category {entry.LogInfo.Category.Name} could not be formatted ({ex.GetType().Name}): {entry.ToString()}\n";
        System.Text.EncodingExtensions.GetBytes(System.Text.Encoding.UTF8, line, buffer);
    }

    private async Task WriteOutAsync(ArrayBufferWriter<byte> buffer)
    {
        if (buffer.WrittenCount == 0)
        {
            return;
        }

        try
        {
            await _stream.WriteAsync(buffer.WrittenMemory).ConfigureAwait(false);
            await _stream.FlushAsync().ConfigureAwait(false);
        }
        catch (IOException)
        {
            // stderr closed (the parent went away): keep draining so Post never backs up.
        }
        finally
        {
            buffer.ResetWrittenCount();
        }
    }
}
