using System.Collections.Concurrent;
using System.Diagnostics;
using ExaiFast.Core.Calls;
using ExaiFast.Core.Tracing;

namespace ExaiFast.Core.Dispatch;

/// <summary>
/// The span of one admitted call, from admission to its one result: named and tagged after the OpenTelemetry MCP
/// conventions (<c>tools/call {tool}</c>, <c>mcp.method.name</c>, <c>gen_ai.tool.name</c>), with its lane, outcome,
/// queue and run time and the models' token usage. Nothing in it comes from the arguments or the answer.
/// </summary>
internal static class CallSpan
{
    // "tools/call <tool>" per tool, made once: there are a few dozen tools at most.
    private static readonly ConcurrentDictionary<string, string> s_names = new(StringComparer.Ordinal);

    public static Activity? Start(ToolCall call, ActivityContext parent)
    {
        if (!ExaiFastTracing.Source.HasListeners())
        {
            return null;
        }

        string name = s_names.GetOrAdd(call.Tool.Name, static tool => "tools/call " + tool);
        var span = ExaiFastTracing.Start(name, ActivityKind.Server, parent);
        if (span is { IsAllDataRequested: true })
        {
            span.SetTag("mcp.method.name", "tools/call");
            span.SetTag("gen_ai.operation.name", "execute_tool");
            span.SetTag("gen_ai.tool.name", call.Tool.Name);
            span.SetTag("exaifast.request_id", call.Key.RequestId);
        }

        return span;
    }

    public static void End(Activity span, ToolCall call, CallResult result)
    {
        if (span.IsAllDataRequested)
        {
            span.SetTag("exaifast.lane", call.Lane);
            span.SetTag("exaifast.queue_ms", result.QueueMs);
            span.SetTag("exaifast.run_ms", result.RunMs);
            span.SetTag("exaifast.outcome", result.Error?.Code ?? "ok");
            if (result.Provider is { } provider)
            {
                span.SetTag("gen_ai.provider.name", provider);
            }

            if (result.Model is { } model)
            {
                span.SetTag("gen_ai.response.model", model);
            }

            if (result.Usage is { } usage)
            {
                span.SetTag("gen_ai.usage.input_tokens", usage.InputTokens);
                span.SetTag("gen_ai.usage.output_tokens", usage.OutputTokens);
            }

            if (result.Error is { } error)
            {
                span.SetTag("error.type", error.Code);
                span.SetStatus(ActivityStatusCode.Error, error.Code);
            }
        }

        // Stop makes the span's parent current on this thread: it is a door's reader or a timer here as often as the
        // call's own flow, and must be left as it was.
        var current = Activity.Current;
        span.Stop();
        if (current != span)
        {
            Activity.Current = current;
        }
    }
}
