namespace ExaiFast.Models;

/// <summary>A provider call's deadlines, each inside the call's own deadline.</summary>
/// <param name="Headers">From sending a request (each attempt) to its response headers.</param>
/// <param name="Idle">Longest silence between two pieces of a streamed answer.</param>
/// <param name="Total">The whole provider call, retries and streaming included.</param>
public sealed record ProviderTimeouts(TimeSpan Headers, TimeSpan Idle, TimeSpan Total)
{
    /// <summary>30 s to headers, 60 s idle, 600 s in all.</summary>
    public static ProviderTimeouts Default { get; } = new(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(600));
}
