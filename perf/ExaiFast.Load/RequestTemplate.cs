using System.Buffers.Text;
using System.Text;

namespace ExaiFast.Load;

/// <summary>
/// A request whose only varying part is its number: <c>prefix + sequence + suffix</c>, written into a reused buffer,
/// so building a request costs the generator a copy, not a string.
/// </summary>
internal sealed class RequestTemplate(string prefix, string suffix)
{
    private readonly byte[] _prefix = Encoding.UTF8.GetBytes(prefix);
    private readonly byte[] _suffix = Encoding.UTF8.GetBytes(suffix);

    /// <summary>The longest request this template writes (a long has at most 20 characters).</summary>
    public int MaxLength => _prefix.Length + 20 + _suffix.Length;

    /// <summary>exai-ws <c>call_tool</c> of the chat tool with a <paramref name="promptLength"/>-character prompt; request_id is the number.</summary>
    public static RequestTemplate CallTool(int promptLength, int toolLatencyMs = 0) =>
        new("{\"op\":\"call_tool\",\"name\":\"chat\",\"request_id\":\"", $"\",\"arguments\":{{\"prompt\":\"{Prompt(promptLength)}\"{Latency(toolLatencyMs)}}}}}");

    /// <summary>exai-ws <c>ping</c>; request_id is the number.</summary>
    public static RequestTemplate Ping() => new("{\"op\":\"ping\",\"request_id\":\"", "\"}");

    /// <summary>MCP <c>tools/call</c> of the chat tool; the JSON-RPC id is the number.</summary>
    public static RequestTemplate McpToolsCall(int promptLength, int toolLatencyMs = 0) =>
        new("{\"jsonrpc\":\"2.0\",\"method\":\"tools/call\",\"id\":", $",\"params\":{{\"name\":\"chat\",\"arguments\":{{\"prompt\":\"{Prompt(promptLength)}\"{Latency(toolLatencyMs)}}}}}}}");

    /// <summary>Writes request <paramref name="sequence"/> into <paramref name="destination"/>; returns its length.</summary>
    public int Write(long sequence, Span<byte> destination)
    {
        _prefix.CopyTo(destination);
        if (!Utf8Formatter.TryFormat(sequence, destination[_prefix.Length..], out int digits))
        {
            throw new ArgumentException("destination too small", nameof(destination));
        }

        int n = _prefix.Length + digits;
        _suffix.CopyTo(destination[n..]);
        return n + _suffix.Length;
    }

    /// <summary>
    /// As <see cref="Write(long, Span{byte})"/>, with <paramref name="argument"/> (<c>,"name":value</c>) added as the last
    /// member of the request's innermost object — a call_tool's arguments, whose suffix ends in <c>}}</c>.
    /// </summary>
    public int Write(long sequence, Span<byte> destination, ReadOnlySpan<byte> argument)
    {
        int n = Write(sequence, destination);
        if (argument.IsEmpty)
        {
            return n;
        }

        destination[(n - 2)..n].CopyTo(destination[(n - 2 + argument.Length)..]);
        argument.CopyTo(destination[(n - 2)..]);
        return n + argument.Length;
    }

    // The chat tool's testing argument: the offline model takes this long (a daemon whose capacity is its workers').
    private static string Latency(int ms) => ms > 0 ? $",\"local_latency_ms\":{ms}" : string.Empty;

    /// <summary>
    /// The <c>chat/completions</c> body ExaiFast sends its model server for a chat call with <paramref name="prompt"/>:
    /// its system prompt, the user's prompt, streamed with usage (or, for a gateway that cannot pass a stream through,
    /// not streamed).
    /// </summary>
    public static string ChatCompletion(string prompt, bool stream) =>
        $"{{\"model\":\"bench\",\"messages\":[{{\"role\":\"system\",\"content\":\"You are a senior engineer and a thoughtful thinking partner. Answer precisely and briefly.\"}},{{\"role\":\"user\",\"content\":\"{prompt}\"}}],\"temperature\":0.3"
        + (stream ? ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}" : ",\"stream\":false}");

    /// <summary>A prompt of <paramref name="length"/> characters (at least one).</summary>
    public static string Prompt(int length) => new('x', Math.Max(1, length));
}
