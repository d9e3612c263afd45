namespace ExaiFast.Server.Mcp;

/// <summary>
/// The MCP revisions this daemon serves, by era (spec 2026-07-28 <c>basic/versioning.mdx</c>, terminology): modern
/// revisions carry their version and client capabilities in every request's <c>_meta</c>; legacy ones agree on a
/// version once, in <c>initialize</c>. The daemon is dual-era: it serves both, telling them apart per message.
/// </summary>
internal static class McpRevisions
{
    /// <summary>The modern revision: no sessions, no <c>initialize</c>; <c>server/discover</c> and per-request <c>_meta</c>.</summary>
    public const string Modern = "2026-07-28";

    /// <summary>What a client may name in <c>_meta["io.modelcontextprotocol/protocolVersion"]</c>: the answer of
    /// <c>server/discover</c> and the <c>supported</c> list of -32022. Only modern revisions (as the C# SDK lists them):
    /// a legacy revision is chosen through <c>initialize</c>, never per request.</summary>
    public static readonly string[] ModernVersions = [Modern];

    /// <summary>Whether <paramref name="version"/> is a modern revision this daemon serves.</summary>
    public static bool IsModern(string? version) => version is not null && Array.IndexOf(ModernVersions, version) >= 0;

    /// <summary>Whether <paramref name="version"/> is a legacy revision this daemon serves (<see cref="McpMessages.ProtocolVersions"/>).</summary>
    public static bool IsLegacy(string? version) => version is not null && Array.IndexOf(McpMessages.ProtocolVersions, version) >= 0;

    /// <summary>Whether a version names no legacy revision this daemon serves: a modern one, or one newer or unknown —
    /// which only a client of the per-request era would send (revisions are dates, so they order as strings; a
    /// malformed one such as <c>v999.0.0</c> counts as newer, as the C# SDK counts it).</summary>
    public static bool IsBeyondLegacy(string? version) => version is not null && !IsLegacy(version)
        && string.CompareOrdinal(version, McpMessages.LatestProtocolVersion) > 0;
}
