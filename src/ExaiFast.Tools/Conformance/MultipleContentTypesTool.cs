using System.Text.Json;
using ExaiFast.Core.Tools;
using ExaiFast.Tools.Schema;

namespace ExaiFast.Tools.Conformance;

/// <summary>The conformance suite's <c>tools-call-mixed-content</c>: a text, an image and an embedded JSON resource, in that order.</summary>
internal sealed class MultipleContentTypesTool : ToolBase
{
    private static readonly ToolOutput Output = ToolOutput.WithContent(
    [
        ContentItem.FromText("Multiple content types test:"),
        ContentItem.FromImage(ConformanceTools.Png1x1, "image/png"),
        ContentItem.FromResourceText("test://mixed-content-resource", "application/json", """{"test":"data","value":123}"""),
    ]);

    /// <inheritdoc />
    public override string Name => "test_multiple_content_types";

    /// <inheritdoc />
    public override string Description => "Conformance: returns text, an image and an embedded resource.";

    /// <inheritdoc />
    protected override ToolValidation ValidateOwn(ToolArguments arguments) => ToolValidation.RunIn("local");

    /// <inheritdoc />
    public override ValueTask<ToolOutput> ExecuteAsync(ToolContext context, CancellationToken cancellationToken) => ValueTask.FromResult(Output);
}
