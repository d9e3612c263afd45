using System.Globalization;
using ExaiFast.Core.Tools;
using ExaiFast.Tools.Schema;

namespace ExaiFast.Tools.Conformance;

/// <summary>
/// The tasks scenarios' task-supporting tool: waits <c>seconds</c>, then answers. Every call is a task for a client
/// that declared the extension (<see cref="TaskSupport.Always"/>), however short: the scenarios create tasks of one
/// and two seconds, which the daemon's two-second window would answer as they are. A cancelled task stops waiting at
/// once, so it ends cancelled.
/// </summary>
internal sealed class SlowComputeTool : ToolBase
{
    /// <summary>Longest wait asked for: the scenarios ask 60 s at most (and cancel it); more would only hold a call open,
    /// and a client answered without a task waits it all.</summary>
    public const int MaxSeconds = 60;

    /// <inheritdoc />
    public override string Name => "slow_compute";

    /// <inheritdoc />
    public override string Description => "Conformance: waits the given seconds, then answers; always a task for a client that declared the tasks extension.";

    /// <inheritdoc />
    public override TaskSupport Tasks => TaskSupport.Always;

    /// <inheritdoc />
    protected override IEnumerable<ToolField> OwnFields =>
    [
        Field.Number("seconds", "How long to wait, in seconds (0: answer at once).", 0, MaxSeconds, required: true),
        Field.Text("label", "Named in the answer."),
    ];

    /// <inheritdoc />
    protected override ToolValidation ValidateOwn(ToolArguments arguments) => ToolValidation.RunIn("local");

    /// <inheritdoc />
    public override async ValueTask<ToolOutput> ExecuteAsync(ToolContext context, CancellationToken cancellationToken)
    {
        var arguments = new ToolArguments(context.Arguments);
        double seconds = arguments.Number("seconds") ?? 0;
        await Task.Delay(TimeSpan.FromSeconds(seconds), cancellationToken).ConfigureAwait(false);
        string label = arguments.Text("label") ?? "slow_compute";
        return new ToolOutput(string.Create(CultureInfo.InvariantCulture, $"{label}: computed after {seconds} s"));
    }
}
