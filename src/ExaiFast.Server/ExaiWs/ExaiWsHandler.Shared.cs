using System.Text.Json;
using ExaiFast.Core.Calls;
using ExaiFast.Core.Dispatch;
using ExaiFast.Server.WebSockets;
using ExaiFast.Wire;

namespace ExaiFast.Server.ExaiWs;

public sealed partial class ExaiWsHandler
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

        var key = new CallKey(connection.SessionId!, requestId);
        if (_dispatcher.HasKey(key) || !root.TryGetProperty("name"u8, out var n) || n.ValueKind != JsonValueKind.String || !TryGetTool(n, out var tool))
        {
            return false; // attached or replayed here, or refused by SubmitCall
        }

        string name = tool.Name; // read before the wait: the frame's document is not ours after it
        var found = await _shared.LookupAsync(key, cancellationToken).ConfigureAwait(false);
        if (found.Result is { } result)
        {
            await SendAsync(connection.Socket, ExaiWsFrames.Result(requestId, result)).ConfigureAwait(false);
            return true;
        }

        if (found.RunningOn is null)
        {
            return false;
        }

        var left = found.Deadline - _time.GetUtcNow();
        await SendAsync(connection.Socket, ExaiWsFrames.Ack(requestId, name, left > TimeSpan.Zero ? left : TimeSpan.Zero)).ConfigureAwait(false);
        _ = RelayAsync(connection, key, name, found);
        return true;
    }

    // Off the reader: the connection goes on with its other frames while this waits, with heartbeats, for the other daemon.
    private async Task RelayAsync(ExaiWsConnection connection, CallKey key, string tool, SharedLookup running)
    {
        long started = _time.GetTimestamp();
        var socket = connection.Socket;
        try
        {
            var result = await _shared!.WaitAsync(key, running,
                () => socket.TrySend(WebSocketOpcode.Text, ExaiWsFrames.Progress(key.RequestId, tool, _time.GetElapsedTime(started).TotalMilliseconds, default)),
                socket.ConnectionClosed).ConfigureAwait(false);
            await SendAsync(socket, ExaiWsFrames.Result(key.RequestId, result)).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // the client left again; the other daemon's call ends by its deadline, its result stays in the store
        }
        catch (Exception ex)
        {
            Log.FrameFailed(_logger, socket.ConnectionId, ex);
            await SendAsync(socket, ExaiWsFrames.Error(key.RequestId, ErrorCodes.InternalError, "the daemon failed to relay this call's result; see its log")).ConfigureAwait(false);
        }
    }
}
