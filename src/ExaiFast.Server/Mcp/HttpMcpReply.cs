using ExaiFast.Server.WebSockets;

namespace ExaiFast.Server.Mcp;

/// <summary>
/// The answer to one Streamable HTTP POST: its progress notifications and then its one response, kept in order for
/// the request's handler, which writes them as a JSON body or as SSE events.
/// </summary>
/// <remarks>
/// A call that ends while its POST is being handled (a 0 ms call runs inline) leaves its response here before the
/// handler looks: the handler takes it and answers with plain JSON, and nothing here allocates beyond this object. Only
/// a handler that has to wait makes a waiter, one per wait.
/// </remarks>
internal sealed class HttpMcpReply : IMcpReply
{
    // Progress beyond this many unwritten notifications is dropped: a client that does not read its stream must not
    // make the daemon buffer without bound (the response itself is never dropped).
    private const int MaxQueuedNotifications = 64;

    private Queue<PooledBuffer>? _notifications;
    private PooledBuffer _response;
    private bool _responded; // a response was given (it may since have been taken)
    private bool _hasResponse; // ... and is still here
    private bool _ended; // cancelled (no response will come) or discarded (nothing more is read)
    private TaskCompletionSource? _waiter;
    private int _status;

    /// <summary>A reply to a POST that arrived from <paramref name="clientAddress"/>.</summary>
    public HttpMcpReply(System.Net.IPAddress clientAddress) => ClientAddress = clientAddress;

    public System.Net.IPAddress? ClientAddress { get; }

    /// <summary>The HTTP status a refusal asked for (<see cref="IMcpReply.Respond(PooledBuffer, int)"/>); 0: the usual one.</summary>
    public int Status
    {
        get
        {
            lock (this)
            {
                return _status;
            }
        }
    }

    /// <summary>Whether the response has been given.</summary>
    public bool HasResponded
    {
        get
        {
            lock (this)
            {
                return _responded;
            }
        }
    }

    public void Respond(PooledBuffer response) => Respond(response, 0);

    public void Respond(PooledBuffer response, int httpStatus)
    {
        TaskCompletionSource? waiter;
        lock (this)
        {
            // A second answer never goes out (the session guarantees one; this guards the transport), nor one after the end.
            if (_responded || _ended)
            {
                response.Return();
                return;
            }

            _status = httpStatus;
            _response = response;
            _responded = _hasResponse = true;
            waiter = TakeWaiter();
        }

        waiter?.TrySetResult();
    }

    public bool TryNotify(PooledBuffer notification)
    {
        TaskCompletionSource? waiter;
        lock (this)
        {
            if (_responded || _ended || _notifications?.Count >= MaxQueuedNotifications)
            {
                notification.Return();
                return false;
            }

            (_notifications ??= new Queue<PooledBuffer>()).Enqueue(notification);
            waiter = TakeWaiter();
        }

        waiter?.TrySetResult();
        return true;
    }

    /// <summary>The request was cancelled: the reply ends without a response (what was queued is still read).</summary>
    public void Cancelled()
    {
        TaskCompletionSource? waiter;
        lock (this)
        {
            _responded = true; // nothing may follow
            _ended = true;
            waiter = TakeWaiter();
        }

        waiter?.TrySetResult();
    }

    /// <summary>The response, when it is here already: notifications before it are dropped (the handler sends plain JSON).</summary>
    public bool TryTakeResponse(out PooledBuffer response)
    {
        lock (this)
        {
            if (!_hasResponse)
            {
                response = default;
                return false;
            }

            ReturnNotifications();
            response = TakeResponse();
            return true;
        }
    }

    /// <summary>Waits until a message is here or the reply ends, at most <paramref name="window"/>; false when it ran out.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired (the client dropped its POST).</exception>
    public async ValueTask<bool> WaitAsync(TimeSpan window, CancellationToken cancellationToken)
    {
        Task? wait = Waiter();
        if (wait is null)
        {
            return true;
        }

        try
        {
            await wait.WaitAsync(window, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>The next message in order (the response is last); <c>Ok</c> false when the reply ended without one.</summary>
    public async ValueTask<(bool Ok, PooledBuffer Message, bool IsResponse)> ReadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task? wait;
            lock (this)
            {
                if (_notifications is { Count: > 0 } queue)
                {
                    return (true, queue.Dequeue(), false);
                }

                if (_hasResponse)
                {
                    return (true, TakeResponse(), true);
                }

                if (_ended || _responded)
                {
                    return (false, default, false);
                }

                wait = (_waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Returns what was never written, and refuses what comes later (the request ended first).</summary>
    public void Discard()
    {
        lock (this)
        {
            _ended = true;
            ReturnNotifications();
            if (_hasResponse)
            {
                TakeResponse().Return();
            }
        }
    }

    // Null when there is something to read already (or nothing more will come); else the task the next message completes.
    private Task? Waiter()
    {
        lock (this)
        {
            if (_notifications is { Count: > 0 } || _hasResponse || _ended || _responded)
            {
                return null;
            }

            return (_waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
    }

    private TaskCompletionSource? TakeWaiter()
    {
        var waiter = _waiter;
        _waiter = null;
        return waiter;
    }

    private PooledBuffer TakeResponse()
    {
        var response = _response;
        _response = default;
        _hasResponse = false;
        return response;
    }

    private void ReturnNotifications()
    {
        while (_notifications is { Count: > 0 } queue)
        {
            queue.Dequeue().Return();
        }
    }
}
