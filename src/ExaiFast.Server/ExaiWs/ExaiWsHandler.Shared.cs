using System.Collections.Concurrent;
using System.Text.Json;
using ExaiFast.Core.Calls;
using ExaiFast.Core.Dispatch;
using ExaiFast.Server.WebSockets;
using ExaiFast.Wire;

namespace ExaiFast.Server.ExaiWs;

internal sealed partial class ExaiWsHandler
{
    private readonly ISharedResults? _shared;

    /// <summary>
    /// A call_tool on a connection whose session another daemon served (<see cref="ExaiWsConnection.Moved"/>): when this
    /// daemon does not know its request id, the shared store may — its stored result is sent, or, while it still runs on
    /// the other daemon, it is acked and its result relayed when it comes. False: submit it here as usual.
    /// </summary>
    private async ValueTask<bool> TryCollectElsewhereAsync(ExaiWsConnection connection, JsonElement root, string? requestId, CancellationToken cancellationToken)
    {
        if (_shared is null || requestId is null)
        {
            return false; // without a request id the call is new by definition
        }

        if (connection.Relays?.TryGetValue(requestId, out var relaying) == true && !relaying.IsAnswered)
        {
            // The same request again on the same connection: it is already relayed; one result will come (as for a
            // call attached here).
            await SendAsync(connection.Socket, ExaiWsFrames.Ack(requestId, relaying.Tool, TimeLeft(relaying.Running))).ConfigureAwait(false);
            return true;
        }

        var key = new CallKey(connection.SessionId!, requestId);
        if (_dispatcher.HasKey(key) || !root.TryGetProperty("name"u8, out var n) || n.ValueKind != JsonValueKind.String || !TryGetTool(n, out var tool))
        {
            return false; // attached or replayed here, or refused by SubmitCall
        }

        string name = tool.Name; // read before the wait: the frame's document is not ours after it
        var found = await _shared.LookupAsync(key, cancellationToken).ConfigureAwait(false);
        if (found.Result is { } result)
        {
            // Replayed as a replay here is: its ack first, then the stored result.
            await SendAsync(connection.Socket, ExaiWsFrames.Ack(requestId, name, _dispatcher.CallTimeout)).ConfigureAwait(false);
            await SendAsync(connection.Socket, ExaiWsFrames.Result(requestId, result)).ConfigureAwait(false);
            return true;
        }

        if (found.RunningOn is null)
        {
            return false;
        }

        // Registered before the ack, on the reader, which handles one frame at a time: a cancel sent right behind the
        // re-send finds the relay.
        var relay = new Relay(name, found);
        (connection.Relays ??= new ConcurrentDictionary<string, Relay>(StringComparer.Ordinal))[requestId] = relay;
        await SendAsync(connection.Socket, ExaiWsFrames.Ack(requestId, name, TimeLeft(found))).ConfigureAwait(false);
        _ = RelayAsync(connection, key, relay);
        return true;
    }

    // Off the reader: the connection goes on with its other frames while this waits, with heartbeats, for the other daemon.
    // The only sender of the request's final frames: `cancelled` (if the client cancelled), call_tool_res, and the error
    // of a cancel that came too late.
    private async Task RelayAsync(ExaiWsConnection connection, CallKey key, Relay relay)
    {
        long started = _time.GetTimestamp();
        var socket = connection.Socket;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(socket.ConnectionClosed, relay.Stop.Token);
        try
        {
            CallResult result;
            bool answeredHere = false;
            try
            {
                result = await _shared!.WaitAsync(key, relay.Running,
                    () => socket.TrySend(WebSocketOpcode.Text, ExaiWsFrames.Progress(key.RequestId, relay.Tool, _time.GetElapsedTime(started).TotalMilliseconds, default)),
                    stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (relay.Stop.IsCancellationRequested && !socket.ConnectionClosed.IsCancellationRequested)
            {
                // The client cancelled and the other daemon could not be told: answered here, as a local cancel is.
                // The call there runs on until its deadline and stores what it ends with.
                result = CallResult.Failed(ErrorCodes.Cancelled, "cancelled by the client");
                answeredHere = true;
            }

            if (relay.IsCancelAsked)
            {
                await AnswerCancelAsync(socket, key.RequestId, result, wasRunning: answeredHere || result.RunMs > 0).ConfigureAwait(false);
                return;
            }

            await SendAsync(socket, ExaiWsFrames.Result(key.RequestId, result)).ConfigureAwait(false);
            if (!relay.TryMarkAnswered())
            {
                // The cancel came between the result and now (the other daemon found nothing to cancel): too late, as a
                // local cancel of a call that has just ended.
                await SendAsync(socket, NotInFlight(key.RequestId)).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // the client left again; the other daemon's call ends by its deadline, its result stays in the store
        }
        catch (Exception ex)
        {
            Log.RelayFailed(_logger, socket.ConnectionId, key.RequestId, key.Caller, relay.Tool, ex);
            await SendAsync(socket, ExaiWsFrames.Error(key.RequestId, ErrorCodes.InternalError, "the daemon failed to relay this call's result; see its log")).ConfigureAwait(false);
        }
        finally
        {
            connection.Relays!.TryRemove(new KeyValuePair<string, Relay>(key.RequestId, relay));
        }
    }

    // The other daemon's dispatcher decided: CANCELLED means the cancel won, and it gets its `cancelled` reply before the
    // result, as a local cancel does; anything else ended first, and the cancel is answered as one that came too late.
    // was_running: the owner's result says whether a slot had started it; one answered here says what the marker did.
    private static async Task AnswerCancelAsync(IWebSocketSession socket, string requestId, CallResult result, bool wasRunning)
    {
        if (result.Error?.Code == ErrorCodes.Cancelled)
        {
            await SendAsync(socket, ExaiWsFrames.Cancelled(requestId, wasRunning)).ConfigureAwait(false);
            await SendAsync(socket, ExaiWsFrames.Result(requestId, result)).ConfigureAwait(false);
        }
        else
        {
            await SendAsync(socket, ExaiWsFrames.Result(requestId, result)).ConfigureAwait(false);
            await SendAsync(socket, NotInFlight(requestId)).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The client's cancel of a call this connection relays: asks the daemon running it to cancel it; the relay then sends
    /// that daemon's answer. If no daemon heard the request, the relay stops waiting and answers <c>CANCELLED</c> itself.
    /// </summary>
    /// <remarks>
    /// Why the owner's answer and not one made here at once: the owner's dispatcher alone knows whether the call ended a
    /// moment before the cancel came, and its result is the one stored — so the client gets exactly one final answer, the
    /// same one a later re-send of the request id gets. Waiting costs one Redis round trip each way. Unheard (the owner
    /// stopped, or Redis is down), nothing can cancel the call there: the client is answered here at once, and the call
    /// ends by its deadline, as it did before cancels were relayed.
    /// </remarks>
    private async ValueTask CancelRelayedAsync(ExaiWsConnection connection, Relay relay, string requestId, CancellationToken cancellationToken)
    {
        if (!relay.TryAskCancel())
        {
            if (relay.IsAnswered)
            {
                await SendAsync(connection.Socket, NotInFlight(requestId)).ConfigureAwait(false); // its result is queued already
            }

            return; // a cancel is on its way already: its answer is this one's
        }

        var key = new CallKey(connection.SessionId!, requestId);
        if (!await _shared!.CancelElsewhereAsync(key, relay.Running, cancellationToken).ConfigureAwait(false))
        {
            await relay.Stop.CancelAsync().ConfigureAwait(false);
        }
    }

    private TimeSpan TimeLeft(SharedLookup running)
    {
        var left = running.Deadline - _time.GetUtcNow();
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    private static PooledBuffer NotInFlight(string requestId) =>
        ExaiWsFrames.Error(requestId, ErrorCodes.InvalidRequest, "no call in flight with that request_id (unknown, or already finished)");
}
