using System.Buffers;
using System.IO.Pipelines;
using ExaiFast.Server.Mcp;

namespace ExaiFast.Server.Stdio;

/// <summary>
/// MCP over stdio: newline-delimited JSON-RPC on stdin, one message per line, handed to <see cref="McpProtocol"/>
/// as one session; answers go to a <see cref="StdioReply"/>.
/// </summary>
/// <remarks>
/// A line longer than the message limit gets a JSON-RPC error and is skipped up to its newline, without being
/// buffered; a malformed line gets -32700 and reading goes on; blank lines are ignored. End of input ends the
/// session (its calls are cancelled). One reader: not thread-safe, and need not be.
/// </remarks>
public sealed class StdioTransport
{
    private const byte ByteLF = (byte)'\n';
    private const byte ByteCR = (byte)'\r';

    private readonly McpProtocol _protocol;
    private readonly McpSession _session;
    private readonly IMcpReply _reply;
    private readonly long _maxLineBytes;

    /// <summary>Creates the transport for one session.</summary>
    /// <param name="protocol">The MCP semantics and backend.</param>
    /// <param name="session">The one session stdio carries.</param>
    /// <param name="reply">Where every answer goes (stdout).</param>
    /// <param name="maxLineBytes">The largest message accepted (<c>EXAI_WS_MAX_BYTES</c>).</param>
    public StdioTransport(McpProtocol protocol, McpSession session, IMcpReply reply, long maxLineBytes)
    {
        _protocol = protocol;
        _session = session;
        _reply = reply;
        _maxLineBytes = maxLineBytes;
    }

    /// <summary>Lines handed to the protocol so far (blank lines not counted).</summary>
    public long Messages { get; private set; }

    /// <summary>Reads <paramref name="input"/> until it ends or <paramref name="cancellationToken"/> fires.</summary>
    /// <remarks>Does not end the session: the caller does (<see cref="McpProtocol.EndSession"/>) once this returns.</remarks>
    public async Task RunAsync(Stream input, CancellationToken cancellationToken)
    {
        var reader = PipeReader.Create(input, new StreamPipeReaderOptions(bufferSize: 64 * 1024, leaveOpen: true));
        bool skipping = false; // inside a line that was too long: discard up to its newline
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                var buffer = result.Buffer;
                while (buffer.PositionOf(ByteLF) is { } newline)
                {
                    var line = buffer.Slice(0, newline);
                    buffer = buffer.Slice(buffer.GetPosition(1, newline));
                    if (skipping)
                    {
                        skipping = false;
                        continue;
                    }

                    await OnLineAsync(line).ConfigureAwait(false);
                }

                if (skipping)
                {
                    buffer = buffer.Slice(buffer.End);
                }
                else if (buffer.Length > _maxLineBytes)
                {
                    // The line can only grow: refuse it now rather than buffer up to its end.
                    TooLong();
                    skipping = true;
                    buffer = buffer.Slice(buffer.End);
                }

                if (result.IsCompleted)
                {
                    if (!skipping && buffer.Length > 0)
                    {
                        await OnLineAsync(buffer).ConfigureAwait(false); // a last line without a newline
                    }

                    break;
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    private ValueTask OnLineAsync(ReadOnlySequence<byte> line)
    {
        if (line.Length > _maxLineBytes)
        {
            TooLong();
            return default;
        }

        if (line.IsSingleSegment)
        {
            return HandleAsync(line.First);
        }

        if (line.Length > Connections.InboundBudget.SmallMessageBytes)
        {
            // A big line gets an array of its own, which the GC takes back: one rented at its size would stay in the pool.
            byte[] own = GC.AllocateUninitializedArray<byte>((int)line.Length);
            line.CopyTo(own);
            return HandleAsync(own);
        }

        byte[] copy = ArrayPool<byte>.Shared.Rent((int)line.Length);
        try
        {
            line.CopyTo(copy);
            return HandleAsync(copy.AsMemory(0, (int)line.Length)); // small: handled before this returns
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }

    private ValueTask HandleAsync(ReadOnlyMemory<byte> line)
    {
        var span = line.Span;
        if (span.Length > 0 && span[^1] == ByteCR)
        {
            line = line[..^1]; // CRLF from a Windows client
            span = line.Span;
        }

        if (span.IsWhiteSpace())
        {
            return default;
        }

        Messages++;

        // Parses in place, and is done with the line's bytes when the task ends; backends copy what they keep. A big line
        // is parsed on a thread of its own (BigMessageJson), so only it is awaited.
        var handled = _protocol.HandleAsync(_session, line, _reply);
        return handled.IsCompletedSuccessfully ? default : new ValueTask(handled.AsTask());
    }

    private void TooLong()
    {
        Messages++;
        _reply.Respond(McpMessages.Error(null, McpMessages.InvalidRequest, $"Invalid Request: the message is longer than {_maxLineBytes} bytes (EXAI_WS_MAX_BYTES)"));
    }
}

file static class SpanExtensions
{
    public static bool IsWhiteSpace(this ReadOnlySpan<byte> span)
    {
        foreach (byte b in span)
        {
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
            {
                return false;
            }
        }

        return true;
    }
}
