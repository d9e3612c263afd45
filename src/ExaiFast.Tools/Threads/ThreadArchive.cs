using System.Globalization;
using System.Text;
using ExaiFast.Core.Threads;

namespace ExaiFast.Tools.Threads;

/// <summary>The thread store as the doors show it: summaries to list and a thread's turns as Markdown.</summary>
public sealed class ThreadArchive(IThreadStore store) : IThreadArchive
{
    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<ThreadSummary>> ListAsync(IReadOnlyCollection<Guid> ids, bool daemonWide, CancellationToken cancellationToken)
    {
        var found = new Dictionary<Guid, ThreadSummary>();
        if (daemonWide)
        {
            foreach (var summary in await store.RecentAsync(IThreadArchive.MaxListed, cancellationToken).ConfigureAwait(false))
            {
                found[summary.Id] = summary;
            }
        }

        foreach (var id in ids.Take(IThreadArchive.MaxListed))
        {
            if (!found.ContainsKey(id) && (await store.GetAsync(id, cancellationToken).ConfigureAwait(false))?.Summary() is { } summary)
            {
                found[id] = summary;
            }
        }

        return [.. found.Values.OrderByDescending(s => s.UpdatedAt).ThenBy(s => s.Id).Take(IThreadArchive.MaxListed)];
    }

    /// <inheritdoc />
    public async ValueTask<(ThreadSummary Summary, string Text)?> ReadAsync(Guid id, CancellationToken cancellationToken)
    {
        var thread = await store.GetAsync(id, cancellationToken).ConfigureAwait(false);
        return thread?.Summary() is { } summary ? (summary, Render(thread)) : null;
    }

    /// <summary>A thread as Markdown: a heading, then each turn's tool, model, time, request and answer, whole.</summary>
    public static string Render(ConversationThread thread)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"# Conversation {thread.Id}\n\n");
        text.Append(CultureInfo.InvariantCulture, $"{thread.Turns.Count} turn{(thread.Turns.Count == 1 ? "" : "s")}, started {thread.CreatedAt.UtcDateTime:u}. Pass `continuation_id: {thread.Id}` to a tool to continue it.\n");
        for (int i = 0; i < thread.Turns.Count; i++)
        {
            var turn = thread.Turns[i];
            text.Append(CultureInfo.InvariantCulture, $"\n## Turn {i + 1}: {turn.Tool}");
            if (turn.Model is { } model)
            {
                text.Append(CultureInfo.InvariantCulture, $", {model}{(turn.Provider is { } p ? $" ({p})" : "")}");
            }

            text.Append(CultureInfo.InvariantCulture, $", {turn.At.UtcDateTime:u}\n");
            if (turn.Step is { } step)
            {
                text.Append(CultureInfo.InvariantCulture, $"\nStep {step.StepNumber} of {step.TotalSteps}, confidence {step.Confidence}. Findings: {step.Findings}\n");
            }

            if (turn.Files.Count > 0)
            {
                text.Append("\nFiles: ").AppendJoin(", ", turn.Files).Append('\n');
            }

            text.Append("\n### Request\n\n").Append(turn.Request).Append('\n');
            if (turn.Answer.Length > 0)
            {
                text.Append("\n### Answer\n\n").Append(turn.Answer).Append('\n');
            }
        }

        return text.ToString();
    }
}
