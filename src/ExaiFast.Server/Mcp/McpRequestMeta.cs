using System.Text.Json;

namespace ExaiFast.Server.Mcp;

/// <summary>
/// What a request's <c>params._meta</c> says about its era (spec 2026-07-28 <c>basic/index.mdx</c>#meta, schema
/// <c>RequestMetaObject</c>): a modern request names its revision and its client's capabilities there, every time.
/// </summary>
/// <remarks>Read once per message, before dispatch; a legacy request (no reserved key) pays two property lookups.</remarks>
internal readonly struct McpRequestMeta
{
    /// <summary>The revision of a modern request (required).</summary>
    public static ReadOnlySpan<byte> ProtocolVersionKey => "io.modelcontextprotocol/protocolVersion"u8;

    /// <summary>The capabilities of a modern request's client (required, an object; <c>{}</c> declares none).</summary>
    public static ReadOnlySpan<byte> ClientCapabilitiesKey => "io.modelcontextprotocol/clientCapabilities"u8;

    /// <summary>The tasks extension's name, as a client declares it in <c>clientCapabilities.extensions</c> (ext-tasks
    /// <c>specification/draft/tasks.md</c>, "Capability negotiation").</summary>
    public static ReadOnlySpan<byte> TasksExtension => "io.modelcontextprotocol/tasks"u8;

    private McpRequestMeta(bool hasMeta, bool hasVersion, string? version, bool hasCapabilities, bool capabilitiesAreObject, bool declaresTasks = false)
    {
        DeclaresTasks = declaresTasks;
        HasMeta = hasMeta;
        HasProtocolVersion = hasVersion;
        ProtocolVersion = version;
        HasClientCapabilities = hasCapabilities;
        ClientCapabilitiesAreObject = capabilitiesAreObject;
    }

    /// <summary>Whether <c>_meta</c> is there as an object.</summary>
    public bool HasMeta { get; }

    /// <summary>Whether the revision key is there (whatever its value).</summary>
    public bool HasProtocolVersion { get; }

    /// <summary>The revision, when it is a non-empty string.</summary>
    public string? ProtocolVersion { get; }

    /// <summary>Whether the capabilities key is there (whatever its value).</summary>
    public bool HasClientCapabilities { get; }

    /// <summary>Whether the capabilities are an object, as they must be.</summary>
    public bool ClientCapabilitiesAreObject { get; }

    /// <summary>Whether the client declared the tasks extension in this request: its answer may then be a task.</summary>
    public bool DeclaresTasks { get; }

    /// <summary>A modern request: it carries either reserved key (then both are checked). A legacy client never sends them.</summary>
    public bool IsModern => HasProtocolVersion || HasClientCapabilities;

    /// <summary>Reads the <c>_meta</c> of <paramref name="parameters"/> (anything: a non-object has none).</summary>
    public static McpRequestMeta Read(JsonElement parameters)
    {
        if (parameters.ValueKind != JsonValueKind.Object
            || !parameters.TryGetProperty("_meta"u8, out var meta) || meta.ValueKind != JsonValueKind.Object)
        {
            return default;
        }

        bool hasVersion = meta.TryGetProperty(ProtocolVersionKey, out var v);
        string? version = hasVersion && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s ? s : null;
        bool hasCapabilities = meta.TryGetProperty(ClientCapabilitiesKey, out var c);
        bool tasks = hasCapabilities && c.ValueKind == JsonValueKind.Object
            && c.TryGetProperty("extensions"u8, out var extensions) && extensions.ValueKind == JsonValueKind.Object
            && extensions.TryGetProperty(TasksExtension, out var ext) && ext.ValueKind == JsonValueKind.Object;
        return new McpRequestMeta(true, hasVersion, version, hasCapabilities, hasCapabilities && c.ValueKind == JsonValueKind.Object, tasks);
    }
}
