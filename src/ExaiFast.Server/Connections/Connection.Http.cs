using System.Buffers;
using ExaiFast.Server.Http;
using ExaiFast.Wire;
using ExaiFast.Wire.Http;

namespace ExaiFast.Server.Connections;

internal sealed partial class Connection
{
    /// <summary>Answers HTTP requests until one upgrades (returned) or the connection should end (null).</summary>
    private async Task<HttpRequestHead?> ProcessHttpAsync()
    {
        while (true)
        {
            EnterPhase(ConnectionPhase.Http);
            var result = await _input.ReadAsync().ConfigureAwait(false);
            if (result.IsCanceled)
            {
                return null;
            }

            var buffer = result.Buffer;
            var status = HttpHeadParser.TryParse(buffer, _ctx.Options.MaxRequestHeadBytes, out var head, out var consumed, out string? error);
            if (status == HttpHeadStatus.Incomplete)
            {
                _input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    return null;
                }

                continue;
            }

            _ctx.Metrics.BytesReceived.Inc(buffer.Slice(0, consumed).Length);
            // Examined only up to the head: pipelined requests, or frames sent with the handshake, are already here.
            _input.AdvanceTo(consumed);
            if (status == HttpHeadStatus.TooLarge)
            {
                await RespondErrorAsync("other", 431, "request head too large").ConfigureAwait(false);
                return null;
            }

            if (status == HttpHeadStatus.BadRequest)
            {
                await RespondErrorAsync("other", 400, error ?? "bad request").ConfigureAwait(false);
                return null;
            }

            switch (head!.Path)
            {
                case "/" or "/ws" or "/echo":
                    return await TryAcceptUpgradeAsync(head).ConfigureAwait(false);
                case "/health" or "/ready" or "/metrics":
                    if (!await ServeStatusAsync(head).ConfigureAwait(false))
                    {
                        return null;
                    }

                    break;
                default:
                    await RespondErrorAsync("other", 404, "not found", headOnly: head.Method == "HEAD").ConfigureAwait(false);
                    return null;
            }
        }
    }

    private async Task<HttpRequestHead?> TryAcceptUpgradeAsync(HttpRequestHead head)
    {
        var rejection = WebSocketHandshake.Validate(head, _ctx.Options.IsOriginAllowed);
        if (rejection is not null)
        {
            string? extra = rejection.StatusCode switch
            {
                426 => "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n",
                405 => "Allow: GET\r\n",
                _ => null,
            };
            await RespondErrorAsync("websocket", rejection.StatusCode, rejection.Reason, extra, head.Method == "HEAD").ConfigureAwait(false);
            return null;
        }

        // exai-ws carries its token in the hello; MCP has no such message, so its upgrade must present it
        // (Authorization: Bearer, or ?token= for clients that cannot set headers).
        if (_ctx.Tokens is { Enabled: true } tokens && WebSocketHandshake.SelectSubprotocol(head) == WebSocketHandshake.McpSubprotocol && !tokens.Check(head, allowQuery: true))
        {
            _ctx.Metrics.ConnectionsRefused.WithLabels("unauthorized").Inc();
            await RespondErrorAsync("websocket", 401, "this daemon requires its token: Authorization: Bearer <token>, or ?token=<token>",
                "WWW-Authenticate: Bearer realm=\"exaifast\"\r\n", head.Method == "HEAD").ConfigureAwait(false);
            return null;
        }

        if (_ctx.IsDraining)
        {
            _ctx.Metrics.ConnectionsRefused.WithLabels("draining").Inc();
            await RespondErrorAsync("websocket", 503, "server is shutting down").ConfigureAwait(false);
            return null;
        }

        return head;
    }

    /// <summary>Serves a status endpoint; returns whether the connection stays open for another request.</summary>
    private async Task<bool> ServeStatusAsync(HttpRequestHead head)
    {
        string route = head.Path[1..];
        if (head.Method is not ("GET" or "HEAD"))
        {
            await RespondErrorAsync(route, 405, "method not allowed", "Allow: GET, HEAD\r\n").ConfigureAwait(false);
            return false;
        }

        // A request body here is unexpected; rather than parse it, answer and close.
        bool keepAlive = head.KeepAlive && head["Content-Length"] is null or "0" && head["Transfer-Encoding"] is null;
        int status = 200;
        string contentType = "application/json";
        byte[] body;
        switch (route)
        {
            case "health":
                body = StatusEndpoints.Health(_ctx);
                break;
            case "ready":
                (status, body) = StatusEndpoints.Ready(_ctx);
                break;
            default:
                contentType = "text/plain; version=0.0.4; charset=utf-8";
                using (var ms = new MemoryStream(16 * 1024))
                {
                    await _ctx.Metrics.ExportAsync(ms, _closed.Token).ConfigureAwait(false);
                    body = ms.ToArray();
                }

                break;
        }

        int n = HttpResponseWriter.Write(_output, status, contentType, body, close: !keepAlive, headOnly: head.Method == "HEAD");
        await FlushResponseAsync(route, status, n).ConfigureAwait(false);
        return keepAlive;
    }

    private async Task RespondErrorAsync(string route, int status, string reason, string? extraHeaders = null, bool headOnly = false)
    {
        int n = HttpResponseWriter.WriteError(_output, status, reason, extraHeaders, headOnly);
        await FlushResponseAsync(route, status, n).ConfigureAwait(false);
    }

    private async Task FlushResponseAsync(string route, int status, int bytes)
    {
        _ctx.Metrics.HttpRequests.WithLabels(route, status.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
        _ctx.Metrics.BytesSent.Inc(bytes);
        await _output.FlushAsync().ConfigureAwait(false);
    }
}
