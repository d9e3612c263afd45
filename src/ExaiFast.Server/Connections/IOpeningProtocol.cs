namespace ExaiFast.Server.Connections;

/// <summary>What a <see cref="TransportConnection"/> speaks from its first byte (HTTP/1.1), made by
/// <see cref="ConnectionContext.Open"/>; a request may hand the connection over to an <see cref="IUpgradedProtocol"/>.</summary>
internal interface IOpeningProtocol : IConnectionProtocol
{
    /// <summary>Serves until the connection should end (null) or a request upgrades it: then the protocol that takes
    /// over, its switch already answered (and flushed) as the last thing this protocol sends.</summary>
    Task<IUpgradedProtocol?> RunAsync();

    /// <summary>Answers a connection refused at accept (past a connection limit), before anything is read.</summary>
    Task RefuseAsync(string reason);

    /// <summary>Answers a connection over its address's connection rate, at accept, before anything is read.</summary>
    Task RefuseRateAsync(TimeSpan retryAfter);
}
