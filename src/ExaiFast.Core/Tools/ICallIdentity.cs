namespace ExaiFast.Core.Tools;

/// <summary>
/// Who a call is, as a log line about it names it: request id, caller, tool and lane. The dispatcher's call object
/// implements it, so a layer below the dispatcher (a model provider) can name the call without knowing the dispatcher,
/// and nothing is copied or allocated for a line that is not written.
/// </summary>
public interface ICallIdentity
{
    /// <summary>The caller's request id.</summary>
    string RequestId { get; }

    /// <summary>Its caller (<see cref="Calls.CallKey.Caller"/>): the exai-ws client session or the MCP session, logged as session_id.</summary>
    string Caller { get; }

    /// <summary>The tool's name.</summary>
    string ToolName { get; }

    /// <summary>The lane it runs in now (it may hop).</summary>
    string Lane { get; }
}
