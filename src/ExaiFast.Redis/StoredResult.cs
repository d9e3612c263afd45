using ExaiFast.Core.Calls;
using ExaiFast.Core.Tools;

namespace ExaiFast.Redis;

/// <summary>A <see cref="CallResult"/> as Redis keeps it (its content items rebuilt through their checking factories).</summary>
internal sealed record StoredResult
{
    public string? Text { get; init; }

    public List<StoredContent>? Content { get; init; }

    public string? ContinuationId { get; init; }

    public string? ErrorCode { get; init; }

    public string? ErrorMessage { get; init; }

    public double? RetryAfter { get; init; }

    public double QueueMs { get; init; }

    public double RunMs { get; init; }

    public string? Provider { get; init; }

    public string? Model { get; init; }

    public string? Route { get; init; }

    // The models' tokens: a result collected through another daemon (an MCP task, an exai-ws replay) says what this
    // one would have said.
    public long? InputTokens { get; init; }

    public long? OutputTokens { get; init; }

    public static StoredResult From(CallResult r) => new()
    {
        Text = r.Text,
        Content = r.Content?.Select(c => new StoredContent(c.Kind, c.Text, c.Data, c.MimeType, c.Uri)).ToList(),
        ContinuationId = r.ContinuationId,
        ErrorCode = r.Error?.Code,
        ErrorMessage = r.Error?.Message,
        RetryAfter = r.Error?.RetryAfterSeconds,
        QueueMs = r.QueueMs,
        RunMs = r.RunMs,
        Provider = r.Provider,
        Model = r.Model,
        Route = r.Route,
        InputTokens = r.Usage?.InputTokens,
        OutputTokens = r.Usage?.OutputTokens,
    };

    public CallResult ToResult() => new()
    {
        Text = Text,
        Content = Content?.Select(c => c.ToItem()).ToArray(),
        ContinuationId = ContinuationId,
        Error = ErrorCode is null ? null : new CallError(ErrorCode, ErrorMessage ?? string.Empty, RetryAfter),
        QueueMs = QueueMs,
        RunMs = RunMs,
        Provider = Provider,
        Model = Model,
        Route = Route,
        Usage = InputTokens is { } input ? new TokenCounts(input, OutputTokens ?? 0) : null,
    };
}

/// <summary>One <see cref="ContentItem"/> of a stored result.</summary>
internal sealed record StoredContent(ContentKind Kind, string? Text, string? Data, string? MimeType, string? Uri)
{
    public ContentItem ToItem() => Kind switch
    {
        ContentKind.Image => ContentItem.FromImage(Data!, MimeType!),
        ContentKind.Audio => ContentItem.FromAudio(Data!, MimeType!),
        ContentKind.Resource when Text is not null => ContentItem.FromResourceText(Uri!, MimeType!, Text),
        ContentKind.Resource => ContentItem.FromResourceBlob(Uri!, MimeType!, Data!),
        _ => ContentItem.FromText(Text ?? string.Empty),
    };
}
