using System.Security.Cryptography;
using System.Text;

namespace ExaiFast.Dashboard;

/// <summary>
/// The dashboard's one HTML page (dashboard.html, embedded in the executable: it works in the native binary, with no
/// file beside it and nothing fetched from elsewhere), and the Content-Security-Policy that lets exactly its own inline
/// script and style run.
/// </summary>
/// <remarks>
/// The policy names the inline blocks by their SHA-256 rather than allowing <c>'unsafe-inline'</c>: anything injected
/// into the page would not run. The page holds no data and no secret: it fetches <c>/dashboard/data</c> itself.
/// </remarks>
internal static class DashboardPage
{
    private const string ResourceName = "ExaiFast.Dashboard.dashboard.html";

    /// <summary>The page, UTF-8.</summary>
    public static byte[] Html { get; } = Load();

    /// <summary>The page's Content-Security-Policy.</summary>
    public static string ContentSecurityPolicy { get; } = PolicyFor(Encoding.UTF8.GetString(Html));

    private static byte[] Load()
    {
        using var stream = typeof(DashboardPage).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"the executable lacks its embedded {ResourceName}");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>The policy for <paramref name="html"/>: its one inline script and one inline style, by hash.</summary>
    internal static string PolicyFor(string html) =>
        $"default-src 'none'; script-src '{HashOf(html, "script")}'; style-src '{HashOf(html, "style")}'; connect-src 'self'; "
        + "img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    // A browser hashes the element's text exactly as written, from after '>' to before '</'.
    private static string HashOf(string html, string element)
    {
        int open = html.IndexOf($"<{element}>", StringComparison.Ordinal);
        int close = html.IndexOf($"</{element}>", StringComparison.Ordinal);
        if (open < 0 || close < open || html.IndexOf($"<{element}>", open + 1, StringComparison.Ordinal) >= 0)
        {
            throw new InvalidOperationException($"dashboard.html must have exactly one inline <{element}>");
        }

        int start = open + element.Length + 2;
        return "sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(html[start..close])));
    }
}
