namespace ExaiFast.Server;

/// <summary>How many clients the daemon's doors hold now: the part of the daemon's status only the doors know.</summary>
internal interface IClientCounts
{
    /// <summary>Open WebSocket connections.</summary>
    int Connections { get; }

    /// <summary>Sessions with a live connection.</summary>
    int Sessions { get; }
}
