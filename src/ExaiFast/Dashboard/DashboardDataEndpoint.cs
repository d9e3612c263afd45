using ExaiFast.Server.Options;
using ExaiFast.Server;
using ExaiFast.Server.Http;
using ExaiFast.Wire.Http;

namespace ExaiFast.Dashboard;

/// <summary>
/// <c>GET /dashboard/data</c>: what the dashboard shows (<see cref="DashboardData"/>), as JSON, never cached. The same
/// token rules as every door: with <c>EXAI_WS_TOKEN</c> it requires <c>Authorization: Bearer</c> (never a query
/// parameter: URLs end up in logs), in OAuth mode it takes the issuer's access tokens too (<see cref="AccessGuard"/>),
/// without either it is open like the rest (loopback only, unless the operator allowed otherwise); a browser
/// <c>Origin</c> that is not allowed gets 403.
/// </summary>
internal sealed class DashboardDataEndpoint(DashboardData data, AccessGuard access, ServerOptions options) : IHttpEndpoint
{
    private static readonly KeyValuePair<string, string>[] s_allow = [new("Allow", "GET, HEAD")];

    private static readonly KeyValuePair<string, string>[] s_headers =
    [
        new("Cache-Control", "no-store"),
        new("X-Content-Type-Options", "nosniff"),
    ];

    public async ValueTask<HttpRefusal?> ScreenAsync(HttpRequestHead head)
    {
        if (head["Origin"] is { } origin && !options.IsOriginAllowed(origin))
        {
            return new HttpRefusal(403, "text/plain; charset=utf-8", "Forbidden: origin not allowed\n"u8.ToArray());
        }

        return await access.CheckAsync(head, allowQuery: false).ConfigureAwait(false) is { } denied
            ? new HttpRefusal(denied.Status, "text/plain; charset=utf-8", System.Text.Encoding.UTF8.GetBytes(denied.Message + "\n"), denied.ExtraHeaders)
            : null;
    }

    public ValueTask HandleAsync(HttpExchange exchange)
    {
        if (exchange.Request.Method is not ("GET" or "HEAD"))
        {
            exchange.KeepAlive = false;
            return exchange.RespondAsync(405, "text/plain; charset=utf-8", "method not allowed\n"u8.ToArray(), s_allow);
        }

        return exchange.RespondAsync(200, "application/json", data.Write(), s_headers);
    }
}
