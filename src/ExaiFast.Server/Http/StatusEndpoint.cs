namespace ExaiFast.Server.Http;

/// <summary><c>GET</c>/<c>HEAD</c> of <c>/health</c>, <c>/ready</c> or <c>/metrics</c>, as an entry of the endpoint table.</summary>
internal sealed class StatusEndpoint(ServerContext ctx, StatusRoute route) : IHttpEndpoint
{
    private static readonly KeyValuePair<string, string>[] s_allow = [new("Allow", "GET, HEAD")];

    /// <summary>The three status endpoints by path.</summary>
    public static IEnumerable<KeyValuePair<string, IHttpEndpoint>> All(ServerContext ctx) =>
    [
        new("/health", new StatusEndpoint(ctx, StatusRoute.Health)),
        new("/ready", new StatusEndpoint(ctx, StatusRoute.Ready)),
        new("/metrics", new StatusEndpoint(ctx, StatusRoute.Metrics)),
    ];

    public async ValueTask HandleAsync(HttpExchange exchange)
    {
        if (exchange.Request.Method is not ("GET" or "HEAD"))
        {
            exchange.KeepAlive = false;
            await exchange.RespondAsync(405, "text/plain; charset=utf-8", "method not allowed\n"u8.ToArray(), s_allow).ConfigureAwait(false);
            return;
        }

        switch (route)
        {
            case StatusRoute.Health:
                await exchange.RespondAsync(200, "application/json", StatusEndpoints.Health(ctx)).ConfigureAwait(false);
                break;
            case StatusRoute.Ready:
                var (status, body) = StatusEndpoints.Ready(ctx);
                await exchange.RespondAsync(status, "application/json", body).ConfigureAwait(false);
                break;
            default:
                using (var ms = new MemoryStream(16 * 1024))
                {
                    await ctx.Metrics.ExportAsync(ms, exchange.RequestAborted).ConfigureAwait(false);
                    await exchange.RespondAsync(200, "text/plain; version=0.0.4; charset=utf-8", ms.GetBuffer().AsMemory(0, (int)ms.Length)).ConfigureAwait(false);
                }

                break;
        }
    }
}
