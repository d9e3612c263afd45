using Prometheus;

namespace ExaiFast.Core.Dispatch;

/// <summary>
/// The labelled series one tool's calls count in, looked up once per tool: a labelled child's lookup hashes its label
/// values every time, and a call touches several.
/// </summary>
internal sealed class ToolSeries(DispatchMetrics metrics, string tool)
{
    /// <summary>Calls that ended with an answer.</summary>
    public Counter.Child Ok { get; } = metrics.Calls.WithLabels(tool, "ok");

    /// <summary>Calls that reached their deadline.</summary>
    public Counter.Child Timeout { get; } = metrics.Calls.WithLabels(tool, "timeout");

    /// <summary>Calls cancelled (by the client, a disconnect or shutdown).</summary>
    public Counter.Child Cancelled { get; } = metrics.Calls.WithLabels(tool, "cancelled");

    /// <summary>Calls that failed otherwise.</summary>
    public Counter.Child Error { get; } = metrics.Calls.WithLabels(tool, "error");

    /// <summary>Requests refused before they became a call.</summary>
    public Counter.Child Refused { get; } = metrics.Calls.WithLabels(tool, "refused");

    /// <summary>Time a worker spent executing the tool's calls.</summary>
    public Histogram.Child RunSeconds { get; } = metrics.RunSeconds.WithLabels(tool);
}
