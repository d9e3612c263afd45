using System.Text.Json;

namespace ExaiFast.Server.WebSockets;

/// <summary>Builds one JSON text message straight into a pooled buffer: no strings, no DOM.</summary>
/// <remarks>A per-thread <see cref="Utf8JsonWriter"/> and output are reused; a nested build gets its own.</remarks>
internal static class JsonFrame
{
    // Relaxed escaping: frames are JSON over WebSocket, never embedded in HTML, so non-ASCII text and quotes stay readable.
    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false, SkipValidation = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    [ThreadStatic]
    private static PooledBufferWriter? t_output;

    /// <summary>Writes the members of the message's top-level object.</summary>
    public delegate void Body<TState>(Utf8JsonWriter json, in TState state);

    /// <summary>Writes <c>{…body}</c> into a new pooled buffer.</summary>
    public static PooledBuffer Build<TState>(in TState state, Body<TState> body)
    {
        var output = t_output ?? new PooledBufferWriter();
        var json = t_writer ?? new Utf8JsonWriter(output, WriterOptions);
        t_writer = null; // re-entrancy safe: a nested Build gets its own writer and output
        t_output = null;
        json.Reset(output);
        try
        {
            json.WriteStartObject();
            body(json, state);
            json.WriteEndObject();
            json.Flush();
        }
        finally
        {
            json.Reset();
            t_writer = json;
        }

        var frame = output.Detach();
        t_output = output;
        return frame;
    }
}
