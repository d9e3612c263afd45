using System.Text.Json;
using ExaiFast.Server.WebSockets;

namespace ExaiFast.Server.Mcp;

/// <summary>The JSON-RPC 2.0 response envelope every answer of the daemon is written in, once.</summary>
/// <remarks>The caller's members come as a static lambda with its state passed through, so an answer allocates only
/// its pooled buffer (the lambdas are cached per instantiation, the state rides in a value tuple).</remarks>
internal static partial class McpMessages
{
    /// <summary><c>{"jsonrpc":"2.0","id":…,"result":{…}}</c>, <paramref name="members"/> writing inside <c>result</c>.</summary>
    public static PooledBuffer Result<TState>(string? rawId, in TState state, JsonFrame.Body<TState> members) =>
        JsonFrame.Build((rawId, state, members), static (json, in s) =>
        {
            WriteHead(json, s.rawId);
            json.WriteStartObject("result"u8);
            s.members(json, s.state);
            json.WriteEndObject();
        });

    /// <summary><c>{"jsonrpc":"2.0","id":…,"error":{"code":…,"message":…}}</c>; a <paramref name="rawId"/> of null is
    /// the id of a request that could not be read.</summary>
    public static PooledBuffer Error(string? rawId, int code, string message) =>
        Error(rawId, code, message, state: false, data: null);

    /// <summary>An error whose <c>data</c> object <paramref name="data"/> writes the members of (none when null).</summary>
    public static PooledBuffer Error<TState>(string? rawId, int code, string message, in TState state, JsonFrame.Body<TState>? data) =>
        JsonFrame.Build((rawId, code, message, state, data), static (json, in s) =>
        {
            WriteHead(json, s.rawId);
            json.WriteStartObject("error"u8);
            json.WriteNumber("code"u8, s.code);
            json.WriteString("message"u8, s.message);
            if (s.data is not null)
            {
                json.WriteStartObject("data"u8);
                s.data(json, s.state);
                json.WriteEndObject();
            }

            json.WriteEndObject();
        });

    private static void WriteHead(Utf8JsonWriter json, string? rawId)
    {
        json.WriteString("jsonrpc"u8, "2.0");
        json.WritePropertyName("id"u8);
        if (rawId is null)
        {
            json.WriteNullValue(); // JSON-RPC: the id of a request that could not be read
        }
        else
        {
            json.WriteRawValue(rawId, skipInputValidation: true);
        }
    }
}
