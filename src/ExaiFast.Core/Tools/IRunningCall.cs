using System.Text.Json;

namespace ExaiFast.Core.Tools;

/// <summary>
/// The call behind a <see cref="ToolContext"/>, as its tool sees it. The dispatcher's call object implements it, so the
/// tool contract names nothing of the dispatcher that runs it.
/// </summary>
internal interface IRunningCall
{
    JsonElement Arguments { get; }

    object? Plan { get; }

    string Lane { get; }

    string RequestId { get; }

    CallSpend Spend { get; }

    TimeSpan Timeout { get; }

    long AdmittedAt { get; }

    bool Stream { get; }

    ValueTask EnterLaneAsync(string lane);

    ValueTask<LaneLease> BorrowLaneAsync(string lane, CancellationToken cancellationToken);

    void ReportProgress(ProgressReport progress);

    void EmitChunk(string chunk);
}
