using System.Net;
using System.Net.Sockets;

namespace ExaiFast.Tests.Redis;

/// <summary>A loopback port the OS just handed out, for servers that cannot bind port 0 and report it (redis-server, nginx).</summary>
internal static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Whether something accepts connections on 127.0.0.1:<paramref name="port"/>.</summary>
    public static async Task<bool> AcceptsAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port, TestContext.Current.CancellationToken);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Finds an installed server binary: on PATH, or where Debian puts it (nginx lives in /usr/sbin).</summary>
    public static string? FindExecutable(string name, params string[] candidates)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(candidates))
        {
            string path = Path.Combine(dir, name);
            if (File.Exists(path))
            {
                return path;
            }
        }

        return null;
    }
}
