using System.Text.Json;
using ExaiFast.Tools.Schema;
using ExaiFast.Tools.Threads;

namespace ExaiFast.Tools.Workflows;

/// <summary>The fields every workflow tool shares (ORIGINAL.md §7 "Workflow fields"), declared once.</summary>
/// <remarks>
/// Described tersely, or not at all where the name says it (step_number, findings, confidence): each workflow tool lists
/// them again, and ten of them made two thirds of tools/list. What the steps mean is said once, in each tool's description
/// (<see cref="WorkflowCatalog"/>), and the answer of every step says what to send next (<c>next_call</c>).
/// </remarks>
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
        Field.Integer("step_number", "", 1, MaxSteps, required: true),
        Field.Integer("total_steps", "", 1, MaxSteps, required: true),
        Field.Boolean("next_step_required", "false on the last step.", required: true),
    ];

    /// <summary>The head of every step's answer, the step fields as they stand, and the thread to continue (the
    /// original's field names, so clients written for it read them as before).</summary>
    public static void WriteStepStatus(Utf8JsonWriter w, string status, WorkflowStep step, string? continuation, int? turnsLeft)
    {
        w.WriteString("status", status);
        w.WriteNumber("step_number", step.StepNumber);
        w.WriteNumber("total_steps", step.TotalSteps);
        w.WriteBoolean("next_step_required", step.NextStepRequired);
        if (continuation is not null)
        {
            w.WriteString("continuation_id", continuation);
            w.WriteNumber("remaining_turns", turnsLeft ?? 0);
        }
    }

    /// <summary>The investigation fields: what was found, in which files, how sure.</summary>
    public static IEnumerable<ToolField> Investigation =>
    [
        Field.Text("findings", "", required: true, nonBlank: true, maxLength: MaxFindings),
        Field.TextList("files_checked", "", maxItems: 1000, nonBlankItems: true),
        Field.TextList("relevant_files", "", maxItems: 100, nonBlankItems: true),
        Field.TextList("relevant_context", "", maxItems: 1000, nonBlankItems: true),
        Field.ObjectList("issues_found", "",
            [
                Field.Text("severity", "", required: true, oneOf: Severity),
                Field.Text("description", "", required: true, nonBlank: true),
            ], maxItems: 1000),
        Field.Text("confidence", "", oneOf: Confidence),
        Field.Text("hypothesis", "", nonBlank: true),
        Field.Integer("backtrack_from_step", "", 1, MaxSteps),
        Field.Boolean("use_assistant_model", ""),
    ];

    /// <summary>The model fields of a workflow whose final step asks a model.</summary>
    public static IEnumerable<ToolField> Model =>
    [
        Tools.ChatTool.ModelField,
        Field.Number("temperature", "", 0, 1),
        Field.Text("thinking_mode", "", oneOf: Tools.ChatTool.ThinkingModes),
        Field.Boolean("use_websearch", ""),
        Field.TextList("images", "", maxItems: 20, nonBlankItems: true),
        Conversation.Field(),
    ];
}
