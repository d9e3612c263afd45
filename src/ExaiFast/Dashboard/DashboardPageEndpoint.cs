using ExaiFast.Server.Http;

namespace ExaiFast.Dashboard;

/// <summary>
/// <c>GET /dashboard</c>: the page, to anyone who can reach the port. A browser cannot send a token when it navigates,
/// and the page needs none: it holds no data and no secret, and asks <see cref="DashboardDataEndpoint"/> (which
/// requires the token) for everything it shows.
/// </summary>
internal sealed class DashboardPageEndpoint : IHttpEndpoint
{
    private static readonly KeyValuePair<string, string>[] s_allow = [new("Allow", "GET, HEAD")];

    private static readonly KeyValuePair<string, string>[] s_headers =
    [
        new("Content-Security-Policy", DashboardPage.ContentSecurityPolicy),
        new("X-Content-Type-Options", "nosniff"),
        new("X-Frame-Options", "DENY"),
        new("Referrer-Policy", "no-referrer"),
        new("Cross-Origin-Opener-Policy", "same-origin"),
        new("Cache-Control", "no-store"), // a daemon upgraded in place serves its own page at once
    ];

    public ValueTask HandleAsync(HttpExchange exchange)
    {
        if (exchange.Request.Method is not ("GET" or "HEAD"))
        {
            exchange.KeepAlive = false;
            return exchange.RespondAsync(405, "text/plain; charset=utf-8", "method not allowed\n"u8.ToArray(), s_allow);
        }

        return exchange.RespondAsync(200, "text/html; charset=utf-8", DashboardPage.Html, s_headers);
    }
}
