using System.Threading.Channels;
using ExaiFast.Server.WebSockets;

namespace ExaiFast.Server.Mcp;

/// <summary>
/// The answer to one Streamable HTTP POST: its progress notifications and then its one response, queued in order for
/// the request's handler, which writes them as a JSON body or as SSE events.
/// </summary>
internal sealed class HttpMcpReply : IMcpReply
{
    // Progress beyond this many unwritten notifications is dropped: a client that does not read its stream must not
    // make the daemon buffer without bound (the response itself is never dropped).
    private const int MaxQueuedNotifications = 64;

    private readonly Channel<(PooledBuffer Message, bool IsResponse)> _messages =
        Channel.CreateUnbounded<(PooledBuffer, bool)>(new UnboundedChannelOptions { SingleReader = true });

    // Orders a notification against the response: none may be queued after it (progress never follows the result).
    private readonly Lock _lock = new();
    private int _queuedNotifications;
    private bool _responded;

    /// <summary>Whether the response has been given.</summary>
    public bool HasResponded
    {
        get
        {
            lock (_lock)
            {
                return _responded;
            }
        }
    }

    public void Respond(PooledBuffer response)
    {
        lock (_lock)
        {
            // A second answer never goes out (the session guarantees one; this guards the transport), nor one after Discard.
            if (_responded || !_messages.Writer.TryWrite((response, true)))
            {
                response.Return();
                return;
            }

            _responded = true;
            _messages.Writer.TryComplete();
        }
    }

    public bool TryNotify(PooledBuffer notification)
    {
        lock (_lock)
        {
            if (!_responded && _queuedNotifications < MaxQueuedNotifications && _messages.Writer.TryWrite((notification, false)))
            {
                _queuedNotifications++;
                return true;
            }
        }

        notification.Return();
        return false;
    }

    /// <summary>The request was cancelled: the queue ends without a response (what was queued is still read).</summary>
    public void Cancelled()
    {
        lock (_lock)
        {
            _responded = true; // nothing may follow
            _messages.Writer.TryComplete();
        }
    }

    /// <summary>The next message in order (the response is last); <c>Ok</c> false when none is left.</summary>
    public async ValueTask<(bool Ok, PooledBuffer Message, bool IsResponse)> ReadAsync(CancellationToken cancellationToken)
    {
        while (await _messages.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (_messages.Reader.TryRead(out var item))
            {
                if (!item.IsResponse)
                {
                    lock (_lock)
                    {
                        _queuedNotifications--;
                    }
                }

                return (true, item.Message, item.IsResponse);
            }
        }

        return (false, default, false);
    }

    /// <summary>Waits until a message is queued, the queue ends, or <paramref name="cancellationToken"/> fires (then false).</summary>
    public async ValueTask<bool> WaitForFirstAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _messages.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>When the response is already queued (answered at once): takes it, dropping notifications before it,
    /// so that the handler sends plain JSON.</summary>
    public bool TryTakeImmediateResponse(out PooledBuffer response)
    {
        if (HasResponded)
        {
            while (_messages.Reader.TryRead(out var item))
            {
                if (item.IsResponse)
                {
                    response = item.Message;
                    return true;
                }

                item.Message.Return();
            }
        }

        response = default;
        return false;
    }

    /// <summary>Returns what was never written, and refuses what comes later (the request ended first).</summary>
    public void Discard()
    {
        lock (_lock)
        {
            _messages.Writer.TryComplete();
        }

        while (_messages.Reader.TryRead(out var item))
        {
            item.Message.Return();
        }
    }
}
