using System.Text.Json;
using ExaiFast.Core.Tools;
using ExaiFast.Tools.Schema;

namespace ExaiFast.Tools.Conformance;

/// <summary>The conformance suite's <c>tools-call-image</c>: one image item.</summary>
internal sealed class ImageContentTool : ToolBase
{
    private static readonly ToolOutput Output = ToolOutput.WithContent([ContentItem.FromImage(ConformanceTools.Png1x1, "image/png")]);

    /// <inheritdoc />
    public override string Name => "test_image_content";

    /// <inheritdoc />
    public override string Description => "Conformance: returns image content (a 1x1 PNG).";

    /// <inheritdoc />
    protected override ToolValidation ValidateOwn(ToolArguments arguments) => ToolValidation.RunIn("local");

    /// <inheritdoc />
    public override ValueTask<ToolOutput> ExecuteAsync(ToolContext context, CancellationToken cancellationToken) => ValueTask.FromResult(Output);
}
