using ExaiFast.Tools.Schema;
using ExaiFast.Tools.Threads;

namespace ExaiFast.Tools.Workflows;

/// <summary>The fields every workflow tool shares (ORIGINAL.md §7 "Workflow fields"), declared once.</summary>
internal static class WorkflowFields
{
    /// <summary>Confidence levels, lowest first.</summary>
    public static readonly string[] Confidence = ["exploring", "low", "medium", "high", "very_high", "almost_certain", "certain"];

    /// <summary>Issue severities, highest first.</summary>
    public static readonly string[] Severity = ["critical", "high", "medium", "low"];

    /// <summary>Most steps a workflow may declare.</summary>
    public const int MaxSteps = 100;

    /// <summary>Longest <c>findings</c> of one step (the original's limit).</summary>
    public const int MaxFindings = 50_000;

    /// <summary>The step fields: what this step does and where the workflow stands.</summary>
    public static IEnumerable<ToolField> Step(string stepDescription) =>
    [
        Field.Text("step", stepDescription, required: true, nonBlank: true),
        Field.Integer("step_number", "This step's number, from 1.", 1, MaxSteps, required: true),
        Field.Integer("total_steps", "Your current estimate of the steps needed (may change as you learn more).", 1, MaxSteps, required: true),
        Field.Boolean("next_step_required", "true while more steps follow; false on the final step, which asks the model once over everything the steps found.", required: true),
    ];

    /// <summary>The investigation fields: what was found, in which files, how sure.</summary>
    public static IEnumerable<ToolField> Investigation =>
    [
        Field.Text("findings", "What this step found: evidence, observations, conclusions so far.", required: true, nonBlank: true, maxLength: MaxFindings),
        Field.TextList("files_checked", "Absolute paths of every file examined in this step.", maxItems: 1000, nonBlankItems: true),
        Field.TextList("relevant_files", "Absolute paths of the files that matter; they are read and sent to the model at the final step.", maxItems: 100, nonBlankItems: true),
        Field.TextList("relevant_context", "Methods, functions or places in the code that matter (e.g. 'Parser.ReadFrame').", maxItems: 1000, nonBlankItems: true),
        Field.ObjectList("issues_found", "Issues found so far, each with its severity.",
            [
                Field.Text("severity", "How bad.", required: true, oneOf: Severity),
                Field.Text("description", "What is wrong, and where.", required: true, nonBlank: true),
            ], maxItems: 1000),
        Field.Text("confidence", "How sure you are of the findings so far.", oneOf: Confidence),
        Field.Text("hypothesis", "Your current theory, if any.", nonBlank: true),
        Field.Integer("backtrack_from_step", "Discard the findings of this step and every later one (the investigation took a wrong turn).", 1, MaxSteps),
        Field.Boolean("use_assistant_model", "false: the final step makes no model call and returns the consolidated findings only (default true)."),
    ];

    /// <summary>The model fields of a workflow whose final step asks a model.</summary>
    public static IEnumerable<ToolField> Model =>
    [
        Tools.ChatTool.ModelField,
        Field.Number("temperature", "0 = deterministic, 1 = creative.", 0, 1),
        Field.Text("thinking_mode", "Ask a thinking-capable model to reason first (final step).", oneOf: Tools.ChatTool.ThinkingModes),
        Field.Boolean("use_websearch", "Let the model search the web (final step)."),
        Field.TextList("images", "Image URLs (http(s) or data:) for a vision model (final step).", maxItems: 20, nonBlankItems: true),
        Conversation.Field("The continuation_id step 1 returned (required from step 2 on); also continues a thread another tool began."),
    ];
}
