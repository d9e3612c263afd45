using System.Text.Json;
using ExaiFast.Core.Tools;
using ExaiFast.Tools.Schema;

namespace ExaiFast.Tools.Conformance;

/// <summary>The conformance suite's <c>tools-call-simple-text</c>: one text item.</summary>
internal sealed class SimpleTextTool : ToolBase
{
    private static readonly ToolOutput Output = new("This is a simple text response for testing.");

    /// <inheritdoc />
    public override string Name => "test_simple_text";

    /// <inheritdoc />
    public override string Description => "Conformance: returns simple text content.";

    /// <inheritdoc />
    protected override ToolValidation ValidateOwn(ToolArguments arguments) => ToolValidation.RunIn("local");

    /// <inheritdoc />
    public override ValueTask<ToolOutput> ExecuteAsync(ToolContext context, CancellationToken cancellationToken) => ValueTask.FromResult(Output);
}
