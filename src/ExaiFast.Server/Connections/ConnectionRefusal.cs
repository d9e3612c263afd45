namespace ExaiFast.Server.Connections;

/// <summary>Why a connection was refused at accept; <see cref="None"/> when it was admitted.</summary>
internal enum ConnectionRefusal : byte
{
    /// <summary>Admitted: it holds a slot until it closes.</summary>
    None,
    /// <summary><c>EXAI_WS_MAX_CONNECTIONS</c> connections are open.</summary>
    MaxConnections,
    /// <summary><c>EXAI_WS_MAX_CONNECTIONS_PER_IP</c> connections from this address are open.</summary>
    MaxConnectionsPerIp,
}
