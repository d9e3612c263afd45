namespace ExaiFast.Models;

/// <summary>What auto routing looks at: the tool and the request.</summary>
public readonly record struct RouteRequest
{
    /// <summary>The tool (<c>chat</c>, <c>thinkdeep</c>, …).</summary>
    public required string Tool { get; init; }

    /// <summary>The model the caller named; null or <c>auto</c> to let the router choose.</summary>
    public string? Model { get; init; }

    /// <summary>The model of the conversation thread being continued, if any (a continuation keeps it).</summary>
    public string? ThreadModel { get; init; }

    /// <summary>The caller wants the web searched.</summary>
    public bool UseWebSearch { get; init; }

    /// <summary>The caller asked for a thinking mode.</summary>
    public string? ThinkingMode { get; init; }

    /// <summary>The request carries images.</summary>
    public bool HasImages { get; init; }

    /// <summary>A workflow's final step (no further step required), when the tool is a workflow.</summary>
    public bool FinalStep { get; init; }
}
