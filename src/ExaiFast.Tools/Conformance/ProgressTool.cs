using System.Text.Json;
using ExaiFast.Core.Tools;
using ExaiFast.Tools.Schema;

namespace ExaiFast.Tools.Conformance;

/// <summary>
/// The conformance suite's <c>tools-call-with-progress</c>: reports 0, 50 and 100 of 100, 50 ms apart, then answers.
/// An MCP client that gave a <c>progressToken</c> gets them as <c>notifications/progress</c>; exai-ws as <c>progress</c>.
/// </summary>
internal sealed class ProgressTool : ToolBase
{
    /// <summary>Between two reports, as the suite's reference server waits.</summary>
    public static readonly TimeSpan Step = TimeSpan.FromMilliseconds(50);

    /// <inheritdoc />
    public override string Name => "test_tool_with_progress";

    /// <inheritdoc />
    public override string Description => "Conformance: reports progress 0, 50 and 100 of 100, 50 ms apart, then answers.";

    /// <inheritdoc />
    protected override ToolValidation ValidateOwn(ToolArguments arguments) => ToolValidation.RunIn("local");

    /// <inheritdoc />
    public override async ValueTask<ToolOutput> ExecuteAsync(ToolContext context, CancellationToken cancellationToken)
    {
        context.ReportProgress(0, 100);
        await Task.Delay(Step, cancellationToken).ConfigureAwait(false);
        context.ReportProgress(50, 100);
        await Task.Delay(Step, cancellationToken).ConfigureAwait(false);
        context.ReportProgress(100, 100);
        return new ToolOutput("Progress test completed: reported 0, 50 and 100 of 100.");
    }
}
