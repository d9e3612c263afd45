using System.Diagnostics;

namespace ExaiFast.Core.Tracing;

/// <summary>
/// The daemon's one <see cref="ActivitySource"/>: a span per call (the dispatcher) and per model request and attempt
/// (the providers). An exporter subscribes to <see cref="SourceName"/>; with none, <see cref="Start"/> costs a check of
/// the source's listeners and returns null, so the call path pays nothing while tracing is off.
/// </summary>
public static class ExaiFastTracing
{
    /// <summary>The source's name, for an exporter's <c>AddSource</c>.</summary>
    public const string SourceName = "ExaiFast";

    /// <summary>The source.</summary>
    public static ActivitySource Source { get; } = new(SourceName, typeof(ExaiFastTracing).Assembly.GetName().Version?.ToString(3));

    /// <summary>
    /// The share of calls traced when the client sent no trace context (a client's context says itself whether it is
    /// sampled): set by the exporter when it starts, whose own sampler then records every span that reaches it.
    /// </summary>
    public static double SampleRatio { get; set; } = 1.0;

    // Parent-based, as OpenTelemetry's ParentBased(TraceIdRatioBased): a client's trace is followed as the client
    // sampled it; a call of no trace is sampled at the ratio. The coin is random rather than read from a trace id that
    // does not exist yet; no other service shares the root's decision, so nothing is lost by that.
    private static bool Sampled(in ActivityContext parent)
    {
        if (parent != default)
        {
            return (parent.TraceFlags & ActivityTraceFlags.Recorded) != 0;
        }

        double ratio = SampleRatio;
        return ratio >= 1.0 || (ratio > 0.0 && Random.Shared.NextDouble() < ratio);
    }

    /// <summary>
    /// Starts a span under <paramref name="parent"/> (or under the current span when <paramref name="parent"/> is
    /// default) without making it the current one: the caller is a connection's reader or a timer, whose flow goes on to
    /// other calls that must not become its children. Null when nobody listens or the sampler drops it.
    /// </summary>
    /// <remarks>
    /// Whether to sample is decided here, before any span exists (<see cref="SampleRatio"/>): the OpenTelemetry SDK
    /// creates a span even for a trace its sampler drops (to propagate the context), and making and disposing one per call
    /// cost the HTTP door measurable CPU per call with the ratio at 0. An unsampled call carries no span: its tool runs
    /// without a current span (no ExecutionContext change on every await) and its model requests make none
    /// (<c>ModelSpan</c> starts only under a call's span). Should the SDK still drop one, it is ended at once.
    /// </remarks>
    public static Activity? Start(string name, ActivityKind kind, ActivityContext parent = default)
    {
        if (!Source.HasListeners() || !Sampled(parent))
        {
            return null;
        }

        var previous = Activity.Current;
        var activity = Source.StartActivity(name, kind, parent);
        if (activity is { Recorded: false })
        {
            activity.Dispose();
            activity = null;
        }

        Activity.Current = previous;
        return activity;
    }

    /// <summary>
    /// A W3C <c>traceparent</c> (and <c>tracestate</c>) sent by a client, as a remote parent; default when absent or
    /// malformed (a bad header starts a new trace rather than failing the call it rides on).
    /// </summary>
    public static ActivityContext ParentFrom(string? traceParent, string? traceState)
    {
        if (traceParent is null || !Source.HasListeners())
        {
            return default;
        }

        return ActivityContext.TryParse(traceParent, traceState, isRemote: true, out var context) ? context : default;
    }
}
