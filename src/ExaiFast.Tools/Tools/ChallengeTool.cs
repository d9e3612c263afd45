using ExaiFast.Core.Tools;
using ExaiFast.Models.Local;
using ExaiFast.Tools.Schema;

namespace ExaiFast.Tools.Tools;

/// <summary>
/// Wraps a statement in instructions to examine it critically instead of agreeing by reflex. No model call: the client's
/// own model does the thinking, prompted to.
/// </summary>
public sealed class ChallengeTool : ToolBase
{
    /// <inheritdoc />
    public override string Name => "challenge";

    /// <inheritdoc />
    public override ToolAnnotations Annotations => new("Challenge", ReadOnly: true, OpenWorld: false, Idempotent: true);

    /// <inheritdoc />
    public override string Description =>
        "Examine a statement critically instead of agreeing by reflex. No model call.";

    /// <inheritdoc />
    protected override IEnumerable<ToolField> OwnFields =>
    [
        Field.Text("prompt", "", required: true, nonBlank: true),
    ];

    /// <inheritdoc />
    protected override ToolValidation ValidateOwn(ToolArguments arguments) => ToolValidation.RunIn(LocalModelProvider.ProviderName);

    /// <inheritdoc />
    public override async ValueTask<ToolOutput> ExecuteAsync(ToolContext context, CancellationToken cancellationToken)
    {
        await SimulateLatencyAsync(context, cancellationToken).ConfigureAwait(false);
        string statement = new ToolArguments(context.Arguments).RequiredText("prompt");
        string prompt =
            $"CRITICAL REASSESSMENT – Do not automatically agree:\n\n\"{statement}\"\n\n" +
            "Carefully evaluate the statement above. Is it accurate, complete, and well-reasoned? Investigate whether it holds against the code " +
            "and the facts before answering; if it is right, say why; if it is wrong or only partly right, explain where, with evidence. " +
            "Your goal is a well-reasoned answer, not agreement.";
        string json = JsonText.Object(w =>
        {
            w.WriteString("status", "challenge_accepted");
            w.WriteString("original_statement", statement);
            w.WriteString("challenge_prompt", prompt);
            w.WriteString("instructions", "Present the challenge_prompt's reasoning to the user: examine the statement against the evidence and say where you stand and why.");
        });
        return new ToolOutput(json);
    }
}
