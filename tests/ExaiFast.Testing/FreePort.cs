using System.Net;
using System.Net.Sockets;

namespace ExaiFast.Testing;

/// <summary>
/// A loopback port the OS just handed out, for servers that cannot bind port 0 and report it (redis-server, nginx).
/// It is free only when asked: another process may take it before the server binds it. So a server started on one is
/// retried on a new one when it could not bind (<see cref="StartAsync"/>), and is ready when it answers in its own
/// protocol, never when something merely accepts there.
/// </summary>
public static class FreePort
{
    private const int Attempts = 5;

    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// Runs <paramref name="start"/> on fresh ports until it does not fail with <see cref="PortTakenException"/> (the
    /// port was taken between <see cref="Next"/> and the server's bind), a few times at most.
    /// </summary>
    public static async Task<T> StartAsync<T>(Func<int, Task<T>> start)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await start(Next());
            }
            catch (PortTakenException) when (attempt < Attempts)
            {
            }
        }
    }

    /// <summary>Whether a server's log says it could not bind its port.</summary>
    public static bool SaysPortTaken(string log) => log.Contains("Address already in use", StringComparison.OrdinalIgnoreCase);

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
