using ExaiFast.Core.Tools;
using ExaiFast.Tools.Schema;

namespace ExaiFast.Tools.Conformance;

/// <summary>
/// The tasks scenarios' sync-only tool (<c>tasks-lifecycle</c>, <c>tasks-request-headers</c>, …): answers
/// <c>Hello, {name}!</c> at once, so a client that declared the tasks extension still gets the result, never a task.
/// </summary>
internal sealed class GreetTool : ToolBase
{
    /// <inheritdoc />
    public override string Name => "greet";

    /// <inheritdoc />
    public override string Description => "Conformance: answers Hello, {name}! at once (never a task).";

    /// <inheritdoc />
    protected override IEnumerable<ToolField> OwnFields => [Field.Text("name", "Who to greet.", required: true)];

    /// <inheritdoc />
    protected override ToolValidation ValidateOwn(ToolArguments arguments) => ToolValidation.RunIn("local");

    /// <inheritdoc />
    public override ValueTask<ToolOutput> ExecuteAsync(ToolContext context, CancellationToken cancellationToken) =>
        ValueTask.FromResult(new ToolOutput($"Hello, {new ToolArguments(context.Arguments).RequiredText("name")}!"));
}
