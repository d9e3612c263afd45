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

    private double _queueMs;
    private double _runMs;

    /// <summary>Milliseconds between admission and a slot starting the call.</summary>
    /// <remarks>
    /// Stamped once by the dispatcher before the result is published (<see cref="StampTimes"/>), never changed
    /// afterwards; <c>init</c> is for a result rebuilt elsewhere (read back from Redis) that keeps its times.
    /// </remarks>
    public double QueueMs { get => _queueMs; init => _queueMs = value; }

    /// <summary>Milliseconds the slot spent running it.</summary>
    public double RunMs { get => _runMs; init => _runMs = value; }

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

    /// <summary>Stamps the call's times in place: the tool's result object is the published one, so no copy is made.</summary>
    internal void StampTimes(double queueMs, double runMs)
    {
        _queueMs = queueMs;
        _runMs = runMs;
    }

    /// <summary>A failure result.</summary>
    public static CallResult Failed(string code, string message, double? retryAfter = null) => new() { Error = new CallError(code, message, retryAfter) };
}
