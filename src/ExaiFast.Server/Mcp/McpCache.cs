namespace ExaiFast.Server.Mcp;

/// <summary>
/// The caching advice a modern cacheable result carries (spec 2026-07-28 <c>server/utilities/caching.mdx</c>,
/// schema <c>CacheableResult</c>): for how long (<c>ttlMs</c>) and for whom (<c>cacheScope</c>) a client may reuse it.
/// Written only on modern results (<see cref="McpMessages.WriteCache"/>).
/// </summary>
/// <param name="TtlMs">Milliseconds the result stays fresh; 0: reuse it not at all.</param>
/// <param name="Public">The same for every caller (<c>public</c>), or only for this one (<c>private</c>).</param>
internal readonly record struct McpCache(int TtlMs, bool Public)
{
    /// <summary><c>server/discover</c>: what this build serves, which only an upgrade changes.</summary>
    public static McpCache Discover { get; } = new(3_600_000, Public: true);

    /// <summary>A list fixed for the life of the process and the same for everybody (the daemon's tools, the
    /// resource templates): five minutes, so that a client sees a restart's new configuration soon enough.</summary>
    public static McpCache Static { get; } = new(300_000, Public: true);

    /// <summary>The tools as the stdio bridge relays them from a daemon, which may restart with other tools behind it.</summary>
    public static McpCache Relayed { get; } = new(60_000, Public: true);

    /// <summary>What changes with every call and depends on the caller (the conversation threads): not to be reused.</summary>
    public static McpCache Live { get; } = new(0, Public: false);
}
