namespace ExaiFast.Server.Mcp;

/// <summary>What an incoming MCP message turned out to be (Streamable HTTP answers each kind differently).</summary>
internal enum McpMessageKind : byte
{
    /// <summary>A request: exactly one response goes to its reply, now or later.</summary>
    Request,

    /// <summary>A notification: nothing answers it.</summary>
    Notification,

    /// <summary>A response to a request of ours: nothing answers it (this server sends no requests).</summary>
    Response,

    /// <summary>Not a JSON-RPC message we could read: an error response without a usable id has been sent to the reply.</summary>
    Invalid,
}
