using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ExaiFast.Cli;

/// <summary>A small exai-ws client for <c>exaifast call</c> and <c>exaifast tools</c>.</summary>
internal sealed class DaemonClient : IAsyncDisposable
{
    private readonly ClientWebSocket _socket = new();
    private readonly byte[] _buffer = new byte[64 * 1024];

    public static async Task<DaemonClient> ConnectAsync(Uri uri, string? token, CancellationToken cancellationToken)
    {
        var client = new DaemonClient();
        await client._socket.ConnectAsync(uri, cancellationToken).ConfigureAwait(false);
        var hello = new JsonObject { ["op"] = "hello" };
        if (!string.IsNullOrEmpty(token))
        {
            hello["token"] = token;
        }

        await client.SendAsync(hello, cancellationToken).ConfigureAwait(false);
        var ack = await client.ReceiveAsync(cancellationToken).ConfigureAwait(false);
        if (ack is null || (string?)ack["op"] != "hello_ack" || ack["ok"]?.GetValue<bool>() != true)
        {
            throw new InvalidOperationException($"the daemon refused the hello: {(string?)ack?["error"] ?? "connection closed"}");
        }

        return client;
    }

    public Task SendAsync(JsonObject frame, CancellationToken cancellationToken) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(frame.ToJsonString()), WebSocketMessageType.Text, true, cancellationToken);

    /// <summary>The next frame, or null when the daemon closed the connection.</summary>
    public async Task<JsonObject?> ReceiveAsync(CancellationToken cancellationToken)
    {
        using var message = new MemoryStream();
        while (true)
        {
            var result = await _socket.ReceiveAsync(_buffer, cancellationToken).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            message.Write(_buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return JsonNode.Parse(message.ToArray())?.AsObject();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
                // the daemon went away first
            }
        }

        _socket.Dispose();
    }

    /// <summary>Parses <c>k=v</c>: v as a JSON literal when it is one (number, true, {…}), else as a string.</summary>
    public static bool TryParseArgument(string text, out string key, out JsonNode? value)
    {
        int eq = text.IndexOf('=', StringComparison.Ordinal);
        key = eq > 0 ? text[..eq] : string.Empty;
        value = null;
        if (eq <= 0)
        {
            return false;
        }

        string raw = text[(eq + 1)..];
        try
        {
            value = raw.Length > 0 && (raw[0] is '{' or '[' or '-' || char.IsAsciiDigit(raw[0]) || raw is "true" or "false" or "null") ? JsonNode.Parse(raw) : JsonValue.Create(raw);
        }
        catch (JsonException)
        {
            value = JsonValue.Create(raw);
        }

        return true;
    }
}
