using ExaiFast.Core.Tools;

namespace ExaiFast.Tools.Conformance;

/// <summary>
/// The fixed test tools the official MCP conformance suite (<c>@modelcontextprotocol/conformance</c>, server
/// scenarios <c>tools-call-*</c>, <c>json-schema-2020-12</c> and the tasks extension's <c>tasks-*</c>) calls by name, with the values of its reference
/// server. Registered only with <c>--conformance-tools</c> (<c>EXAIFAST_CONFORMANCE_TOOLS</c>).
/// </summary>
public static class ConformanceTools
{
    /// <summary>A 1×1 PNG, base64 (the suite's reference image).</summary>
    internal const string Png1x1 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";

    /// <summary>A minimal WAV, base64 (the suite's reference audio).</summary>
    internal const string Wav = "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=";

    /// <summary>Their names, known before any is made (settings name tools before the catalog exists).</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        "test_simple_text", "test_image_content", "test_audio_content", "test_embedded_resource", "test_multiple_content_types",
        "test_error_handling", "test_tool_with_progress", "json_schema_2020_12_tool", "greet", "slow_compute", "failing_job",
    ];

    /// <summary>A new instance of each tool.</summary>
    public static IEnumerable<ITool> Create() =>
    [
        new SimpleTextTool(),
        new ImageContentTool(),
        new AudioContentTool(),
        new EmbeddedResourceTool(),
        new MultipleContentTypesTool(),
        new ErrorHandlingTool(),
        new ProgressTool(),
        new JsonSchema202012Tool(),
        new GreetTool(),
        new SlowComputeTool(),
        new FailingJobTool(),
    ];
}
