namespace ExaiFast.Core.Dispatch;

/// <summary>One lane (provider) now.</summary>
/// <param name="Name">The lane's name.</param>
/// <param name="Slots">Its concurrency limit.</param>
/// <param name="Running">Its calls executing now (slots taken).</param>
/// <param name="Queued">Its calls waiting in its queue.</param>
public readonly record struct LaneLoad(string Name, int Slots, int Running, int Queued);
