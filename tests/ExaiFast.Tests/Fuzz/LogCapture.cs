using System.Text;

namespace ExaiFast.Tests.Fuzz;

/// <summary>
/// A write-only stream that keeps what a daemon logs (plain text, one entry per line, an exception's stack trace on the
/// lines after it), for checks once the daemon has stopped and flushed.
/// </summary>
internal sealed class LogCapture : Stream
{
    private readonly MemoryStream _bytes = new();

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>Every line written so far.</summary>
    public string[] Lines
    {
        get
        {
            lock (_bytes)
            {
                return Encoding.UTF8.GetString(_bytes.GetBuffer(), 0, (int)_bytes.Length).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            }
        }
    }

    /// <summary>
    /// The lines that tell of a failure: an entry at error level or worse (<c>ERR</c>, <c>CRI</c> after the timestamp) or
    /// a stack trace's frame.
    /// </summary>
    public static IEnumerable<string> Failures(IEnumerable<string> lines) =>
        lines.Where(l => l.Split(' ', 3) is [_, "ERR" or "CRI", _] || l.TrimStart().StartsWith("at ", StringComparison.Ordinal));

    public override void Write(byte[] buffer, int offset, int count)
    {
        lock (_bytes)
        {
            _bytes.Write(buffer, offset, count);
        }
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        lock (_bytes)
        {
            _bytes.Write(buffer);
        }
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return default;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        Write(buffer, offset, count);
        return Task.CompletedTask;
    }

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
