namespace ExaiFast.Load;

/// <summary>
/// One connection to a server under load: requests are numbered by the runner, and every reply names the request it
/// answers, so the same connection serves a closed loop (one request at a time) and an open loop (many outstanding).
/// </summary>
/// <remarks>One sender and one receiver may run at once (as <c>ClientWebSocket</c> allows); no two sends at once.</remarks>
internal interface ILoadConnection : IAsyncDisposable
{
    /// <summary>Sends request <paramref name="sequence"/>.</summary>
    ValueTask SendAsync(long sequence, CancellationToken cancellationToken);

    /// <summary>The next reply that answers a request (acks and notifications are skipped); <see cref="ReplyKind.Closed"/> when the peer went away.</summary>
    ValueTask<Reply> ReceiveAsync(CancellationToken cancellationToken);
}
