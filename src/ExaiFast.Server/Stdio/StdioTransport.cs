using System.Buffers;
using System.IO.Pipelines;
using ExaiFast.Server.Connections;
using ExaiFast.Server.Mcp;
using ExaiFast.Server.WebSockets;

namespace ExaiFast.Server.Stdio;

/// <summary>
/// MCP over stdio: newline-delimited JSON-RPC on stdin, one message per line, handed to <see cref="McpProtocol"/>
/// as one session; answers go to a <see cref="StdioReply"/>.
/// </summary>
/// <remarks>
/// <para>A line longer than the message limit gets a JSON-RPC error and is skipped up to its newline, without being
/// buffered; a malformed line gets -32700 and reading goes on; blank lines are ignored. End of input ends the
/// session (its calls are cancelled). One reader: not thread-safe, and need not be.</para>
/// <para>A line over <see cref="InboundBudget.SmallMessageBytes"/> is under the inbound budget, as a big WebSocket
/// message is: before more of it is read it takes budget, waiting without reading stdin meanwhile (the
/// writer is held by the pipe), and it is assembled in an array of exactly its reservation (<see cref="BigLine"/>). A
/// <c>tools/call</c> in it keeps that budget until its call ends; anything else gives it back once handled. A line
/// that gets no budget within the budget's timeout is refused like an overlong one, so that the lines behind it — a
/// cancel that would free the budget — are read.</para>
/// </remarks>
internal sealed class StdioTransport
{
    private const byte ByteLF = (byte)'\n';
    private const byte ByteCR = (byte)'\r';

    private readonly McpProtocol _protocol;
    private readonly McpSession _session;
    private readonly IMcpReply _reply;
    private readonly long _maxLineBytes;
    private readonly InboundBudget _budget;
    private readonly TimeSpan _budgetWait;

    /// <summary>Creates the transport for one session.</summary>
    /// <param name="protocol">The MCP semantics and backend.</param>
    /// <param name="session">The one session stdio carries.</param>
    /// <param name="reply">Where every answer goes (stdout).</param>
    /// <param name="maxLineBytes">The largest message accepted (<c>EXAI_WS_MAX_BYTES</c>).</param>
    /// <param name="budget">The budget big lines take (<c>EXAIFAST_INBOUND_BUDGET_MB</c>).</param>
    /// <param name="budgetWait">How long a big line may wait for budget (<c>EXAIFAST_INBOUND_BUDGET_TIMEOUT</c>).</param>
    public StdioTransport(McpProtocol protocol, McpSession session, IMcpReply reply, long maxLineBytes, InboundBudget budget, TimeSpan budgetWait)
    {
        _protocol = protocol;
        _session = session;
        _reply = reply;
        _maxLineBytes = maxLineBytes;
        _budget = budget;
        _budgetWait = budgetWait;
    }

    /// <summary>Lines handed to the protocol or refused so far (blank lines not counted).</summary>
    public long Messages { get; private set; }

    /// <summary>Reads <paramref name="input"/> until it ends or <paramref name="cancellationToken"/> fires.</summary>
    /// <remarks>Does not end the session: the caller does (<see cref="McpProtocol.EndSession"/>) once this returns.</remarks>
    public async Task RunAsync(Stream input, CancellationToken cancellationToken)
    {
        var reader = PipeReader.Create(input, new StreamPipeReaderOptions(bufferSize: 64 * 1024, leaveOpen: true));
        var big = new BigLine(_budget);
        bool skipping = false; // inside a refused line (too long, no budget): discard up to its newline
        long waitAt = Math.Min(InboundBudget.SmallMessageBytes, _maxLineBytes);
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                var buffer = result.Buffer;

                // Each pass takes one piece of a line: a whole line, or the part of an open one that this read brought.
                // The last line may lack its newline: end of input completes it.
                while (!buffer.IsEmpty || (result.IsCompleted && big.IsOpen))
                {
                    var newline = buffer.PositionOf(ByteLF);
                    if (newline is null && !result.IsCompleted && !skipping && !big.IsOpen && buffer.Length <= waitAt)
                    {
                        break; // a small line so far: the pipe keeps it until its newline arrives
                    }

                    var piece = newline is { } at ? buffer.Slice(0, at) : buffer;
                    bool ends = newline is not null || result.IsCompleted;
                    buffer = newline is { } after ? buffer.Slice(buffer.GetPosition(1, after)) : buffer.Slice(buffer.End);
                    if (skipping)
                    {
                        skipping = !ends;
                    }
                    else if (big.Length + piece.Length > _maxLineBytes)
                    {
                        // The line can only grow: refuse it now rather than buffer up to its end.
                        big.Drop();
                        Refuse($"Invalid Request: the message is longer than {_maxLineBytes} bytes (EXAI_WS_MAX_BYTES)");
                        skipping = !ends;
                    }
                    else if (big.IsOpen || piece.Length > InboundBudget.SmallMessageBytes)
                    {
                        if (!await AppendBigAsync(big, piece, ends, cancellationToken).ConfigureAwait(false))
                        {
                            Refuse("Server busy: no memory budget for this message in time (EXAIFAST_INBOUND_BUDGET_MB); retry later");
                            skipping = !ends;
                        }
                        else if (ends)
                        {
                            await OnBigLineAsync(big.Take()).ConfigureAwait(false);
                        }
                    }
                    else
                    {
                        OnLine(piece);
                    }
                }

                if (result.IsCompleted)
                {
                    break;
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        finally
        {
            big.Drop(); // a line cut off by cancellation or a fault
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Adds a piece of a big line, taking budget for it first; false (the line dropped, its budget given back)
    /// when the budget had none in time.</summary>
    private async ValueTask<bool> AppendBigAsync(BigLine big, ReadOnlySequence<byte> piece, bool ends, CancellationToken cancellationToken)
    {
        long need = big.BudgetFor(piece.Length, ends, _maxLineBytes);
        if (need > 0)
        {
            if (!await ReserveAsync(need, cancellationToken).ConfigureAwait(false))
            {
                big.Drop();
                return false;
            }

            big.Grow(need);
        }

        big.Append(piece);
        return true;
    }

    /// <summary>Takes <paramref name="bytes"/> of budget, waiting up to the budget's timeout; false when none came in time.</summary>
    private async ValueTask<bool> ReserveAsync(long bytes, CancellationToken cancellationToken)
    {
        if (_budget.TryReserve(bytes, out var waiter))
        {
            return true;
        }

        // Big lines are rare, and stdin has no heartbeat to hang a deadline on: a timer per wait. Cancel loses to a grant
        // that came first, and then the bytes are held.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_budgetWait);
        using (deadline.Token.UnsafeRegister(static state => ((Waiting)state!).Cancel(), new Waiting(_budget, waiter!)))
        {
            if (await waiter!.Granted.ConfigureAwait(false))
            {
                return true;
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        return false;
    }

    // A small line: parsed in place (or in a rented copy when it spans segments) and done with before this returns;
    // backends copy what they keep.
    private void OnLine(ReadOnlySequence<byte> line)
    {
        if (line.IsSingleSegment)
        {
            Handle(line.First);
            return;
        }

        byte[] copy = ArrayPool<byte>.Shared.Rent((int)line.Length);
        try
        {
            line.CopyTo(copy);
            Handle(copy.AsMemory(0, (int)line.Length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }

    private void Handle(ReadOnlyMemory<byte> line)
    {
        if (line.Span is [.., ByteCR])
        {
            line = line[..^1]; // CRLF from a Windows client
        }

        if (line.Span.IsWhiteSpace())
        {
            return;
        }

        Messages++;
        _protocol.Handle(_session, line, _reply);
    }

    // A big line is handed over with its budget: parsed on a thread of its own (BigMessageJson), and kept by its call.
    private ValueTask OnBigLineAsync(PooledBuffer line)
    {
        int length = line.Length;
        if (line.Span is [.., ByteCR])
        {
            length--;
        }

        if (line.Span[..length].IsWhiteSpace())
        {
            line.Return();
            return default;
        }

        Messages++;
        var handled = _protocol.HandleAsync(_session, new PooledBuffer(line.Array!, length, line.Owner), _reply);
        return handled.IsCompletedSuccessfully ? default : new ValueTask(handled.AsTask());
    }

    private void Refuse(string message)
    {
        Messages++;
        _reply.Respond(McpMessages.Error(null, McpMessages.InvalidRequest, message));
    }

    /// <summary>A wait for budget, given up by its deadline or the reader's cancellation.</summary>
    private sealed class Waiting(InboundBudget budget, InboundBudget.Waiter waiter)
    {
        public void Cancel() => budget.Cancel(waiter);
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
