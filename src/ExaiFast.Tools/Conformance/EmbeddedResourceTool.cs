using System.Text.Json;
using ExaiFast.Core.Tools;
using ExaiFast.Tools.Schema;

namespace ExaiFast.Tools.Conformance;

/// <summary>The conformance suite's <c>tools-call-embedded-resource</c>: one embedded text resource.</summary>
internal sealed class EmbeddedResourceTool : ToolBase
{
    private static readonly ToolOutput Output = ToolOutput.WithContent(
        [ContentItem.FromResourceText("test://embedded-resource", "text/plain", "This is an embedded resource content.")]);

    /// <inheritdoc />
    public override string Name => "test_embedded_resource";

    /// <inheritdoc />
    public override string Description => "Conformance: returns an embedded text resource.";

    /// <inheritdoc />
    protected override ToolValidation ValidateOwn(ToolArguments arguments) => ToolValidation.RunIn("local");

    /// <inheritdoc />
    public override ValueTask<ToolOutput> ExecuteAsync(ToolContext context, CancellationToken cancellationToken) => ValueTask.FromResult(Output);
}
