namespace ExaiFast.Core.Dispatch;

/// <summary>What <see cref="ToolCall.TryDetachKey"/> did.</summary>
internal enum KeyDetach
{
    /// <summary>The key was removed; other keys keep the execution.</summary>
    Detached,
    /// <summary>The key is the call's only one: cancel the call itself.</summary>
    OnlyKey,
    /// <summary>The key is not subscribed (yet): it is joining the call on another thread.</summary>
    NotSubscribed,
    /// <summary>The call has ended.</summary>
    Completed,
}
