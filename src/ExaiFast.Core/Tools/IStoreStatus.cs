namespace ExaiFast.Core.Tools;

/// <summary>The state of the store behind conversation threads and shared results, for <c>status</c>, <c>/health</c> and <c>/ready</c>.</summary>
/// <remarks>Thread-safe: read at any time. A store that is down never makes the daemon unready: calls that need no thread
/// are still served.</remarks>
public interface IStoreStatus
{
    /// <summary><c>memory</c> or <c>redis</c>.</summary>
    string Kind { get; }

    /// <summary>Whether the store can be reached now (always true in memory).</summary>
    bool IsUp { get; }
}
