using System.Text.Json;
using ExaiFast.Core.Calls;
using ExaiFast.Core.Dispatch;
using ExaiFast.Core.Tools;
using ExaiFast.Server.Mcp;
using ExaiFast.Server.WebSockets;

namespace ExaiFast.Server.ExaiWs;

/// <summary>
/// Builds every frame the daemon sends on exai-ws. Each has <c>op</c>; each that concerns a request has its
/// <c>request_id</c> (PROTOCOL.md: the Python daemon's replies without them made clients hang).
/// </summary>
/// <remarks>Writes straight into a pooled buffer (<see cref="JsonFrame"/>): no strings, no DOM.</remarks>
internal static class ExaiWsFrames
{
    public delegate void Body<TState>(Utf8JsonWriter json, in TState state);

    /// <summary>Writes <c>{"op":op, …body}</c> into a new pooled buffer.</summary>
    public static PooledBuffer Build<TState>(string op, in TState state, Body<TState> body) =>
        JsonFrame.Build((op, state, body), static (json, in s) =>
        {
            json.WriteString("op"u8, s.op);
            s.body(json, s.state);
        });

    public static PooledBuffer Error(string? requestId, string code, string message) =>
        Build("error", (requestId, code, message), static (json, in s) =>
        {
            WriteRequestId(json, s.requestId);
            json.WriteStartObject("error"u8);
            json.WriteString("code"u8, s.code);
            json.WriteString("message"u8, s.message);
            json.WriteEndObject();
        });

    public static PooledBuffer HelloFailed(string error) =>
        Build("hello_ack", error, static (json, in e) =>
        {
            json.WriteBoolean("ok"u8, false);
            json.WriteString("error"u8, e);
        });

    public static PooledBuffer HelloAck(string sessionId, string version, long maxBytes, int sessionMaxInflight) =>
        Build("hello_ack", (sessionId, version, maxBytes, sessionMaxInflight), static (json, in s) =>
        {
            json.WriteBoolean("ok"u8, true);
            json.WriteString("session_id"u8, s.sessionId);
            json.WriteStartObject("server"u8);
            json.WriteString("name"u8, ServerInfo.Name);
            json.WriteString("version"u8, s.version);
            json.WriteEndObject();
            json.WriteStartObject("limits"u8);
            json.WriteNumber("max_bytes"u8, s.maxBytes);
            json.WriteNumber("session_max_inflight"u8, s.sessionMaxInflight);
            json.WriteEndObject();
        });

    public static PooledBuffer ListTools(string? requestId, IToolCatalog catalog, ToolShape shape) =>
        Build("list_tools_res", (requestId, catalog, shape), static (json, in s) =>
        {
            WriteRequestId(json, s.requestId);
            ToolListJson.Write(json, s.catalog, s.shape);
        });

    /// <summary><c>list_threads_res</c>: the threads, newest first, and whether the daemon's own recent ones are among them.</summary>
    public static PooledBuffer Threads(string? requestId, IReadOnlyList<Core.Threads.ThreadSummary> threads, bool daemonWide) =>
        Build("list_threads_res", (requestId, threads, daemonWide), static (json, in s) =>
        {
            WriteRequestId(json, s.requestId);
            json.WriteBoolean("daemon_wide"u8, s.daemonWide);
            json.WriteStartArray("threads"u8);
            foreach (var thread in s.threads)
            {
                ThreadSummaryJson.Write(json, thread);
            }

            json.WriteEndArray();
        });

    /// <summary><c>read_thread_res</c>: a thread's summary and its turns as Markdown.</summary>
    public static PooledBuffer Thread(string? requestId, Core.Threads.ThreadSummary summary, string text) =>
        Build("read_thread_res", (requestId, summary, text), static (json, in s) =>
        {
            WriteRequestId(json, s.requestId);
            json.WritePropertyName("thread"u8);
            ThreadSummaryJson.Write(json, s.summary);
            json.WriteString("text"u8, s.text);
        });

    public static PooledBuffer Ack(string requestId, string name, TimeSpan timeout) =>
        Build("call_tool_ack", (requestId, name, timeout), static (json, in s) =>
        {
            json.WriteString("request_id"u8, s.requestId);
            json.WriteBoolean("accepted"u8, true);
            json.WriteString("name"u8, s.name);
            json.WriteNumber("timeout"u8, s.timeout.TotalSeconds);
        });

    public static PooledBuffer Progress(string requestId, string name, double elapsedMs, ProgressReport report) =>
        Build("progress", (requestId, name, elapsedMs, report), static (json, in s) =>
        {
            json.WriteString("request_id"u8, s.requestId);
            json.WriteString("name"u8, s.name);
            json.WriteNumber("t"u8, Math.Round(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0, 3));
            json.WriteNumber("elapsed_ms"u8, Math.Round(s.elapsedMs, 1));
            if (s.report.Message is not null)
            {
                json.WriteString("message"u8, s.report.Message);
            }

            // The tool's own measure, when it gave one (an addition to PROTOCOL.md's frame, for the stdio bridge).
            if (s.report.Progress is { } progress)
            {
                json.WriteNumber("progress"u8, progress);
            }

            if (s.report.Total is { } total)
            {
                json.WriteNumber("total"u8, total);
            }
        });

    public static PooledBuffer StreamChunk(string requestId, int sequence, string chunk) =>
        Build("stream_chunk", (requestId, sequence, chunk), static (json, in s) =>
        {
            json.WriteString("request_id"u8, s.requestId);
            json.WriteNumber("seq"u8, s.sequence);
            json.WriteString("chunk"u8, s.chunk);
        });

    public static PooledBuffer Result(string requestId, CallResult result) =>
        Build("call_tool_res", (requestId, result), static (json, in s) =>
        {
            var r = s.result;
            json.WriteString("request_id"u8, s.requestId);
            json.WriteBoolean("ok"u8, r.Ok);
            if (r.Error is { } error)
            {
                json.WriteStartObject("error"u8);
                json.WriteString("code"u8, error.Code);
                json.WriteString("message"u8, error.Message);
                if (error.RetryAfterSeconds is double retry)
                {
                    json.WriteNumber("retry_after"u8, retry);
                }

                json.WriteEndObject();
                return;
            }

            ContentJson.Write(json, "outputs"u8, r); // one text item, or every item of a rich result
            json.WriteString("text"u8, r.Text); // the text items joined, for clients that read only this
            if (r.ContinuationId is not null)
            {
                json.WriteString("continuation_id"u8, r.ContinuationId);
            }

            json.WriteStartObject("metrics"u8);
            json.WriteNumber("queue_ms"u8, r.QueueMs);
            json.WriteNumber("run_ms"u8, r.RunMs);
            json.WriteString("provider"u8, r.Provider);
            json.WriteString("model"u8, r.Model);
            if (r.Route is not null)
            {
                json.WriteString("route"u8, r.Route);
            }

            if (r.Usage is { } usage)
            {
                // Beyond PROTOCOL.md's metrics: the tokens the provider reported (a bridge hands them to its MCP client).
                json.WriteNumber("input_tokens"u8, usage.InputTokens);
                json.WriteNumber("output_tokens"u8, usage.OutputTokens);
            }

            json.WriteEndObject();
        });

    public static PooledBuffer Refused(string requestId, CallError error) => Result(requestId, new CallResult { Error = error });

    public static PooledBuffer Cancelled(string requestId, bool wasRunning) =>
        Build("cancelled", (requestId, wasRunning), static (json, in s) =>
        {
            json.WriteString("request_id"u8, s.requestId);
            json.WriteBoolean("was_running"u8, s.wasRunning);
        });

    public static PooledBuffer Pong(string? requestId) =>
        Build("pong", requestId, static (json, in id) =>
        {
            WriteRequestId(json, id);
            json.WriteNumber("t"u8, Math.Round(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0, 3));
        });

    public static PooledBuffer RotateTokenResult(string? requestId, string? error) =>
        Build("rotate_token_res", (requestId, error), static (json, in s) =>
        {
            WriteRequestId(json, s.requestId);
            json.WriteBoolean("ok"u8, s.error is null);
            if (s.error is not null)
            {
                json.WriteString("error"u8, s.error);
            }
        });

    public static PooledBuffer Health(string? requestId, IDaemonStatus status, int toolCount, IReadOnlyDictionary<string, bool> providers) =>
        Build("health_res", (requestId, status, toolCount, providers), static (json, in s) =>
        {
            WriteRequestId(json, s.requestId);
            json.WriteBoolean("ok"u8, true);
            json.WriteStartObject("health"u8);
            HealthJson.WriteFields(json, s.status, s.toolCount, s.providers);
            json.WriteEndObject();
        });

    private static void WriteRequestId(Utf8JsonWriter json, string? requestId)
    {
        if (requestId is not null)
        {
            json.WriteString("request_id"u8, requestId);
        }
    }
}
