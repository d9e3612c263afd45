using ExaiFast.Core.Options;
using ExaiFast.Server;
using ExaiFast.Server.Http;
using ExaiFast.Wire.Http;

namespace ExaiFast.Dashboard;

/// <summary>
/// <c>GET /dashboard/data</c>: what the dashboard shows (<see cref="DashboardData"/>), as JSON, never cached. The same
/// token rules as every door: with <c>EXAI_WS_TOKEN</c> it requires <c>Authorization: Bearer</c> (never a query
/// parameter: URLs end up in logs), without one it is open like the rest (loopback only, unless the operator allowed
/// otherwise); a browser <c>Origin</c> that is not allowed gets 403.
/// </summary>
internal sealed class DashboardDataEndpoint(DashboardData data, TokenGuard tokens, ServerOptions options) : IHttpEndpoint
{
    private static readonly KeyValuePair<string, string>[] s_allow = [new("Allow", "GET, HEAD")];

    private static readonly KeyValuePair<string, string>[] s_headers =
    [
        new("Cache-Control", "no-store"),
        new("X-Content-Type-Options", "nosniff"),
    ];

    public HttpRefusal? Screen(HttpRequestHead head)
    {
        if (head["Origin"] is { } origin && !options.IsOriginAllowed(origin))
        {
            return new HttpRefusal(403, "text/plain; charset=utf-8", "Forbidden: origin not allowed\n"u8.ToArray());
        }

        if (!tokens.Check(head, allowQuery: false))
        {
            return new HttpRefusal(401, "text/plain; charset=utf-8",
                "Unauthorized: this daemon requires its token (Authorization: Bearer <token>)\n"u8.ToArray(),
                "WWW-Authenticate: Bearer realm=\"exaifast\"\r\n");
        }

        return null;
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
