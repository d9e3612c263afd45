using ExaiFast.Core.Tools;

namespace ExaiFast.Core.Calls;

/// <summary>How a call ended: output text, or an error. Immutable; the result store keeps it for the result TTL.</summary>
public sealed record CallResult
{
    /// <summary>Whether the call succeeded.</summary>
    public bool Ok => Error is null;

    /// <summary>The tool's text output (success); with <see cref="Content"/>, its text items joined by newlines.</summary>
    public string? Text { get; init; }

    /// <summary>
    /// The tool's output items when it returned more than one text (images, audio, embedded resources); null for a
    /// single text result, which is <see cref="Text"/> alone (<see cref="ToolOutput.Content"/>).
    /// </summary>
    public IReadOnlyList<ContentItem>? Content { get; init; }

    /// <summary>The conversation to continue, when the tool has one.</summary>
    public string? ContinuationId { get; init; }

    /// <summary>The failure (error).</summary>
    public CallError? Error { get; init; }

    /// <summary>Milliseconds between admission and a worker starting the call.</summary>
    /// <remarks>Set once by the dispatcher before the result is published; never changed afterwards.</remarks>
    public double QueueMs { get; internal set; }

    /// <summary>Milliseconds the worker spent running it.</summary>
    public double RunMs { get; internal set; }

    /// <summary>When the result store lets go of it (TimeProvider timestamp); 0 until it is stored.</summary>
    internal long ExpiresAt { get; set; }

    /// <summary>The provider that answered (e.g. <c>local</c>).</summary>
    public string? Provider { get; init; }

    /// <summary>The model that answered.</summary>
    public string? Model { get; init; }

    /// <summary>Why that model answered: auto routing's choice and any fallbacks taken (null without a model).</summary>
    public string? Route { get; init; }

    /// <summary>The model request's tokens, when the provider reported them.</summary>
    public TokenCounts? Usage { get; init; }

    /// <summary>A failure result.</summary>
    public static CallResult Failed(string code, string message, double? retryAfter = null) => new() { Error = new CallError(code, message, retryAfter) };
}
