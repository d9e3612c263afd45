namespace ExaiFast.Core.Tools;

/// <summary>
/// One progress event of a call: a heartbeat (everything null), a message the tool reported, or the tool's own
/// measure of how far it is (<see cref="Progress"/> out of <see cref="Total"/>, as MCP <c>notifications/progress</c> carries).
/// </summary>
/// <param name="Message">What the tool is doing, if it said.</param>
/// <param name="Progress">How far it is, on its own scale (increasing), if it said.</param>
/// <param name="Total">The value <see cref="Progress"/> reaches at the end, if known.</param>
public readonly record struct ProgressReport(string? Message, double? Progress = null, double? Total = null)
{
    /// <summary>The dispatcher's periodic "still running".</summary>
    public bool IsHeartbeat => Message is null && Progress is null;
}
