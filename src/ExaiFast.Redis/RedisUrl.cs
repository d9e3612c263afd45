using System.Net;
using StackExchange.Redis;

namespace ExaiFast.Redis;

/// <summary>
/// <c>REDIS_URL</c>: <c>redis://[[user]:password@]host[:port][/db]</c> (<c>rediss://</c> for TLS), or a StackExchange.Redis
/// configuration string (<c>host:port,password=…,ssl=true</c>). Parsed once, before the socket is bound.
/// </summary>
/// <remarks>The password never leaves this type except inside the <see cref="ConfigurationOptions"/> handed to the
/// multiplexer: <see cref="Describe"/> is what logs, <c>status</c> and errors show.</remarks>
internal static class RedisUrl
{
    /// <summary>The allowed formats, for the one-line configuration error (the value itself is masked: it may hold a password).</summary>
    public const string Allowed = "redis://[[user]:password@]host[:port][/db], rediss://… for TLS, or a StackExchange.Redis configuration string such as host:port,password=…";

    /// <summary>Null when <paramref name="text"/> is a usable REDIS_URL, else <see cref="Allowed"/>.</summary>
    public static string? Validate(string text) => TryParse(text, out _) ? null : Allowed;

    /// <summary>The options <paramref name="text"/> gives, with what every daemon needs added (see <see cref="TryParse"/>).</summary>
    public static ConfigurationOptions Parse(string text) =>
        TryParse(text, out var options) ? options : throw new ArgumentException("not a REDIS_URL: " + Allowed, nameof(text));

    /// <summary>
    /// Parses <paramref name="text"/>. Whatever it says, the daemon starts with Redis down (<c>abortConnect=false</c>), and
    /// a command fails at once while Redis is down rather than waiting in a backlog (<see cref="BacklogPolicy.FailFast"/>):
    /// a thread call answers STORE_UNAVAILABLE promptly, and nothing piles up in memory.
    /// </summary>
    public static bool TryParse(string text, out ConfigurationOptions options)
    {
        options = null!;
        text = text.Trim();
        if (text.Length == 0)
        {
            return false;
        }

        ConfigurationOptions parsed;
        if (text.StartsWith("redis://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("rediss://", StringComparison.OrdinalIgnoreCase))
        {
            if (!TryParseUrl(text, out parsed))
            {
                return false;
            }
        }
        else
        {
            try
            {
                parsed = ConfigurationOptions.Parse(text);
            }
            catch (ArgumentException)
            {
                return false;
            }

            if (parsed.EndPoints.Count == 0)
            {
                return false;
            }
        }

        parsed.AbortOnConnectFail = false;
        parsed.BacklogPolicy = BacklogPolicy.FailFast;
        // Redis back after an outage: reconnect within a second or so, not after an exponential back-off of minutes.
        parsed.ReconnectRetryPolicy = new LinearRetry(1000);
        parsed.ClientName ??= "exaifast";
        options = parsed;
        return true;
    }

    /// <summary>Where Redis is, for logs and <c>status</c>: endpoints and database, never the password.</summary>
    public static string Describe(ConfigurationOptions options)
    {
        string endpoints = string.Join(",", options.EndPoints.Select(e => e switch
        {
            DnsEndPoint d => $"{d.Host}:{d.Port}",
            _ => e.ToString() ?? "?",
        }));
        return options.DefaultDatabase is int db and not 0 ? $"{endpoints}/{db}" : endpoints;
    }

    private static bool TryParseUrl(string text, out ConfigurationOptions options)
    {
        options = null!;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Host.Length == 0 || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
        {
            return false;
        }

        var parsed = new ConfigurationOptions { Ssl = uri.Scheme.Equals("rediss", StringComparison.OrdinalIgnoreCase) };
        int port = uri.Port > 0 ? uri.Port : 6379;
        string host = uri.Host.Trim('[', ']');
        if (IPAddress.TryParse(host, out var address))
        {
            parsed.EndPoints.Add(new IPEndPoint(address, port));
        }
        else
        {
            parsed.EndPoints.Add(host, port);
        }

        if (uri.UserInfo.Length > 0)
        {
            // user:password, :password, or a bare password (as most clients read redis://secret@host).
            string info = uri.UserInfo;
            int colon = info.IndexOf(':', StringComparison.Ordinal);
            if (colon >= 0)
            {
                string user = Uri.UnescapeDataString(info[..colon]);
                parsed.User = user.Length > 0 ? user : null;
                parsed.Password = Uri.UnescapeDataString(info[(colon + 1)..]);
            }
            else
            {
                parsed.Password = Uri.UnescapeDataString(info);
            }
        }

        string path = uri.AbsolutePath.Trim('/');
        if (path.Length > 0)
        {
            if (!int.TryParse(path, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int db) || db > 10_000)
            {
                return false;
            }

            parsed.DefaultDatabase = db;
        }

        options = parsed;
        return true;
    }
}
