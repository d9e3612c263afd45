using System.Diagnostics;
using System.Text;
using ExaiFast.Core.Tools;
using ExaiFast.Models;
using ExaiFast.Models.Local;
using ExaiFast.Tools.Files;
using ExaiFast.Tools.Schema;
using ExaiFast.Tools.Threads;

namespace ExaiFast.Tools.Workflows;

/// <summary>
/// Asks several models the same question, each from a stance (for, against, neutral), concurrently, each on its own
/// deadline, and reports every answer — those that failed too, with why. One call, one request per model: the original
/// walked the models one per step, so a slow model held up the rest.
/// </summary>
public sealed class ConsensusTool(ProviderRegistry providers, IThreadStore threads, FileReader files, TimeProvider time) : ToolBase
{
    /// <summary>Most models one call may consult.</summary>
    public const int MaxModels = 8;

    private const string SystemPrompt =
        "You are one of several experts asked for an independent opinion on a proposal. Evaluate it on its merits: feasibility, " +
        "risks, costs, alternatives. Be specific, and end with a one-line verdict.";

    /// <inheritdoc />
    public override string Name => "consensus";

    /// <inheritdoc />
    public override ToolAnnotations Annotations => new("Consensus", ReadOnly: true, OpenWorld: true);

    /// <inheritdoc />
    /// <remarks>Several models answer a consensus: their names are in its text, not one <c>model</c>.</remarks>
    public override ToolResultFields ResultFields => ToolResultFields.Thread;

    /// <inheritdoc />
    public override string Description =>
        "Ask several models at once about a proposal, each from a stance.";

    /// <inheritdoc />
    protected override IEnumerable<ToolField> OwnFields =>
    [
        .. WorkflowFields.Step("The proposal."),
        Field.Text("findings", "", nonBlank: true, maxLength: WorkflowFields.MaxFindings),
        Field.ObjectList("models", "",
            [
                Field.Text("model", "", required: true, nonBlank: true),
                Field.Text("stance", "", oneOf: ["for", "against", "neutral"]),
                Field.Text("stance_prompt", "", nonBlank: true, maxLength: 10_000),
            ], required: true, minItems: 1, maxItems: MaxModels),
        Field.TextList("relevant_files", "", maxItems: 100, nonBlankItems: true),
        Field.TextList("images", "", maxItems: 20, nonBlankItems: true),
        Field.Number("temperature", "", 0, 1),
        Conversation.Field(),
    ];

    /// <inheritdoc />
    /// <remarks>
    /// The call itself runs in the local lane, holding no provider's slot; each model's request borrows a slot of its own
    /// provider's lane while it runs (<see cref="ToolContext.BorrowLaneAsync"/>), so every provider's limit holds for the
    /// requests it serves, and a call never waits for a slot it holds itself.
    /// </remarks>
    protected override ToolValidation ValidateOwn(ToolArguments arguments)
    {
        int i = 0;
        foreach (var entry in arguments.Objects("models"))
        {
            string name = entry.RequiredText("model");
            if (!providers.TryRoute(new RouteRequest { Tool = Name, Model = name }, out _, out string? error))
            {
                return ToolValidation.Invalid($"'models[{i}].model': {error}");
            }

            i++;
        }

        return ToolValidation.RunIn(LocalModelProvider.ProviderName);
    }

    /// <inheritdoc />
    public override async ValueTask<ToolOutput> ExecuteAsync(ToolContext context, CancellationToken cancellationToken)
    {
        var args = new ToolArguments(context.Arguments);
        var threadId = Conversation.IdOf(args);
        var thread = threadId is { } id ? await Conversation.LoadAsync(threads, id, cancellationToken).ConfigureAwait(false) : null;
        string proposal = args.RequiredText("step");
        string embedded = await files.EmbedAsync(args.TextList("relevant_files"), "relevant_files", cancellationToken).ConfigureAwait(false);
        var question = new StringBuilder(proposal);
        if (args.Text("findings") is { } findings)
        {
            question.Append("\n\nThe analysis so far:\n").Append(findings);
        }

        if (embedded.Length > 0)
        {
            question.Append("\n\nFiles:\n").Append(embedded);
        }

        var entries = args.Objects("models").ToArray();
        context.ReportProgress($"asking {entries.Length} model{(entries.Length == 1 ? "" : "s")}");
        // Each model answers on its own deadline, a little inside the call's, so that one that hangs is reported as
        // timed out beside the others' answers instead of taking the whole call down with it.
        var timeLeft = context.TimeLeft(time);
        if (timeLeft <= TimeSpan.Zero)
        {
            cancellationToken.ThrowIfCancellationRequested();
            timeLeft = TimeSpan.Zero; // past the deadline, the call's token fires any moment: every model reports TIMEOUT
        }

        var own = timeLeft - TimeSpan.FromMilliseconds(Math.Min(1000, timeLeft.TotalMilliseconds / 10));
        var opinions = await Task.WhenAll(entries.Select(e => AskAsync(e, question.ToString(), thread, args, own, context, cancellationToken))).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();

        var summary = new StringBuilder();
        foreach (var o in opinions)
        {
            summary.Append("## ").Append(o.Model).Append(" (").Append(o.Stance).Append(")\n").Append(o.Text ?? $"failed: {o.Error}").Append("\n\n");
        }

        var turn = new ThreadTurn
        {
            Tool = Name,
            Request = Conversation.Clip(proposal),
            Answer = Conversation.Clip(summary.ToString()),
            Model = opinions.FirstOrDefault(o => o.Text is not null).Model,
            At = time.GetUtcNow(),
        };
        var recordedIn = threadId ?? ThreadIds.New();
        int? left = await Conversation.RecordAsync(threads, recordedIn, turn, create: threadId is null, cancellationToken, answered: true).ConfigureAwait(false);
        string? continuation = left is not null ? recordedIn.ToString() : null;
        string json = JsonText.Object(w =>
        {
            int ok = opinions.Count(o => o.Text is not null);
            w.WriteString("status", ok == opinions.Length ? "consensus_complete" : ok > 0 ? "consensus_partial" : "consensus_failed");
            if (continuation is not null)
            {
                w.WriteString("continuation_id", continuation);
                w.WriteNumber("remaining_turns", left ?? 0);
            }

            w.WriteNumber("models_consulted", opinions.Length);
            w.WriteNumber("models_answered", ok);
            w.WriteStartArray("responses");
            foreach (var o in opinions)
            {
                w.WriteStartObject();
                w.WriteString("model", o.Model);
                w.WriteString("provider", o.Provider);
                w.WriteString("stance", o.Stance);
                w.WriteString("status", o.Text is not null ? "ok" : "error");
                if (o.Text is not null)
                {
                    w.WriteString("verdict", o.Text);
                }
                else
                {
                    w.WriteString("error_code", o.ErrorCode);
                    w.WriteString("error", o.Error);
                }

                w.WriteNumber("elapsed_ms", Math.Round(o.Elapsed.TotalMilliseconds));
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteString("next_steps", "Weigh the responses — where they agree, where they differ and why — and give the user your synthesis.");
        });
        if (opinions.All(o => o.Text is null))
        {
            throw new ProviderException($"no model answered: {string.Join("; ", opinions.Select(o => $"{o.Model}: {o.ErrorCode} {o.Error}"))}");
        }

        return new ToolOutput(json, ContinuationId: left > 0 ? continuation : null);
    }

    private async Task<Opinion> AskAsync(ToolArguments entry, string question, ConversationThread? thread, ToolArguments args, TimeSpan deadline,
        ToolContext context, CancellationToken callToken)
    {
        string name = entry.RequiredText("model");
        string stance = entry.Text("stance") ?? "neutral";
        var started = Stopwatch.GetTimestamp();
        providers.TryRoute(new RouteRequest { Tool = Name, Model = name }, out var decision, out _);
        var choice = decision!.Choice;
        using var own = CancellationTokenSource.CreateLinkedTokenSource(callToken);
        own.CancelAfter(deadline);
        try
        {
            string system = SystemPrompt + "\n\n" + (entry.Text("stance_prompt") ?? StanceText(stance));
            var messages = HistoryWindow.Build(system, thread, new ChatMessage(ChatRole.User, question, args.TextList("images") is { Length: > 0 } i ? i : null), choice.Model, out _);
            var request = new ModelRequest
            {
                Model = choice.Model.Name,
                Messages = messages,
                Temperature = args.Number("temperature") ?? 0.2,
                LatencyMs = LatencyOf(context),
                TimeLeft = deadline,
                Spend = context.Spend,
            };
            // The local model costs nothing and its lane is the one this call holds a slot of: it borrows none.
            using var slot = choice.Provider.Name == LocalModelProvider.ProviderName ? null : await context.BorrowLaneAsync(choice.Provider.Name, own.Token).ConfigureAwait(false);
            var response = await choice.Provider.CompleteAsync(request, null, own.Token).ConfigureAwait(false);
            return new Opinion(response.Model, response.Provider, stance, ModelAsk.TextOf(response), null, null, Stopwatch.GetElapsedTime(started));
        }
        catch (OperationCanceledException) when (!callToken.IsCancellationRequested)
        {
            return new Opinion(choice.Model.Name, choice.Provider.Name, stance, null, "TIMEOUT", $"no answer within its {deadline.TotalSeconds:0.#} s", Stopwatch.GetElapsedTime(started));
        }
        catch (ProviderException ex)
        {
            return new Opinion(choice.Model.Name, choice.Provider.Name, stance, null, ex.Unavailable ? "PROVIDER_UNAVAILABLE" : "PROVIDER_ERROR", ex.Message, Stopwatch.GetElapsedTime(started));
        }
        catch (LaneFullException ex)
        {
            return new Opinion(choice.Model.Name, choice.Provider.Name, stance, null, "OVER_CAPACITY", ex.Message, Stopwatch.GetElapsedTime(started));
        }
        catch (ToolArgumentException ex)
        {
            return new Opinion(choice.Model.Name, choice.Provider.Name, stance, null, "INVALID_ARGUMENTS", ex.Message, Stopwatch.GetElapsedTime(started));
        }
    }

    private static string StanceText(string stance) => stance switch
    {
        "for" => "Argue FOR the proposal: make the strongest honest case for it, and say what would have to hold for it to succeed. Do not invent merits.",
        "against" => "Argue AGAINST the proposal: make the strongest honest case against it — risks, costs, better alternatives. Do not invent flaws.",
        _ => "Take no side: weigh the proposal's merits and risks evenly.",
    };

    private readonly record struct Opinion(string Model, string Provider, string Stance, string? Text, string? ErrorCode, string? Error, TimeSpan Elapsed);
}
