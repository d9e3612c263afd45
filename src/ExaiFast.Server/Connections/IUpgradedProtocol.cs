namespace ExaiFast.Server.Connections;

/// <summary>What a <see cref="TransportConnection"/> speaks after an upgrade (a WebSocket): it takes the connection
/// over from the <see cref="IOpeningProtocol"/> that switched to it, for the rest of its life.</summary>
internal interface IUpgradedProtocol : IConnectionProtocol
{
    /// <summary>After the switch: starts the protocol's one writer. From here on, it can send.</summary>
    void Start();

    /// <summary>Once the transport has published it as its protocol: counts it and opens what it serves.</summary>
    void Open();

    /// <summary>Reads until the connection ends; returns why it ended.</summary>
    Task<CloseReason> RunAsync();
}
