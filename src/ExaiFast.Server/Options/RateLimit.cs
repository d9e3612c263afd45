namespace ExaiFast.Server.Options;

/// <summary>One token bucket's shape: how many a minute on average, and how many at once from a full bucket.</summary>
/// <param name="PerMinute">Refill rate, in tokens per minute; 0 turns the limit off.</param>
/// <param name="Burst">The bucket's size; 0 means one minute's worth (<paramref name="PerMinute"/>).</param>
internal sealed record RateLimit(int PerMinute, int Burst = 0)
{
    /// <summary>No limit.</summary>
    public static RateLimit Off { get; } = new(0);

    /// <summary>Whether the limit applies at all.</summary>
    public bool IsOn => PerMinute > 0;

    /// <summary>The bucket's size in force.</summary>
    public int EffectiveBurst => Burst > 0 ? Burst : PerMinute;
}
