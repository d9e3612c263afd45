using ExaiFast.Core.Tools;
using ExaiFast.Tools.Schema;

namespace ExaiFast.Tools.Conformance;

/// <summary>
/// The tasks scenarios' failing tool: answers only with a task (<see cref="TaskSupport.Required"/>: a client without
/// the extension is refused with -32021 before it runs), and the task ends after about a second with a tool error
/// (<c>completed</c>, <c>isError: true</c>), not a protocol error.
/// </summary>
internal sealed class FailingJobTool : ToolBase
{
    /// <summary>The tool error's text.</summary>
    public const string Message = "failing_job failed on purpose";

    /// <summary>How long it works before failing, as the scenarios describe it.</summary>
    public static readonly TimeSpan Work = TimeSpan.FromSeconds(1);

    /// <inheritdoc />
    public override string Name => "failing_job";

    /// <inheritdoc />
    public override string Description => "Conformance: a task that fails with a tool error after about a second; needs the tasks extension.";

    /// <inheritdoc />
    public override TaskSupport Tasks => TaskSupport.Required;

    /// <inheritdoc />
    protected override ToolValidation ValidateOwn(ToolArguments arguments) => ToolValidation.RunIn("local");

    /// <inheritdoc />
    public override async ValueTask<ToolOutput> ExecuteAsync(ToolContext context, CancellationToken cancellationToken)
    {
        await Task.Delay(Work, cancellationToken).ConfigureAwait(false);
        throw new ProviderException(Message); // the one failure whose text reaches the client (ErrorHandlingTool says why)
    }
}
