using System.Text.Json;
using ExaiFast.Core.Tools;
using ExaiFast.Tools.Schema;

namespace ExaiFast.Tools.Conformance;

/// <summary>The conformance suite's <c>tools-call-audio</c>: one audio item, <c>audio/wav</c>.</summary>
internal sealed class AudioContentTool : ToolBase
{
    private static readonly ToolOutput Output = ToolOutput.WithContent([ContentItem.FromAudio(ConformanceTools.Wav, "audio/wav")]);

    /// <inheritdoc />
    public override string Name => "test_audio_content";

    /// <inheritdoc />
    public override string Description => "Conformance: returns audio content (a short WAV).";

    /// <inheritdoc />
    protected override ToolValidation ValidateOwn(ToolArguments arguments) => ToolValidation.RunIn("local");

    /// <inheritdoc />
    public override ValueTask<ToolOutput> ExecuteAsync(ToolContext context, CancellationToken cancellationToken) => ValueTask.FromResult(Output);
}
