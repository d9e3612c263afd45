using System.Globalization;

namespace ExaiFast.Tests.Cli;

/// <summary>Which processes serve a port, read from /proc (Linux): for tests that start daemons they do not own (autostart).</summary>
internal static class PortProcesses
{
    /// <summary>Running, not a zombie (a reparented daemon may wait for a reaper that a container lacks).</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].FirstOrDefault() is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Every <c>exaifast serve</c> whose command line names <c>--port <paramref name="port"/></c> (an autostarted daemon's does).</summary>
    public static IEnumerable<int> DaemonsOnPort(int port)
    {
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid))
            {
                continue;
            }

            string cmdline;
            try
            {
                cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            if (cmdline.Contains(" serve ", StringComparison.Ordinal) && cmdline.Contains($"--port {port}", StringComparison.Ordinal))
            {
                yield return pid;
            }
        }
    }

    /// <summary>TCP sockets listening on <paramref name="port"/> (IPv4 and IPv6), whoever owns them: two would be two daemons.</summary>
    public static int ListeningSockets(int port)
    {
        string hexPort = ":" + port.ToString("X4", CultureInfo.InvariantCulture);
        int count = 0;
        foreach (string table in (string[])["/proc/net/tcp", "/proc/net/tcp6"])
        {
            if (!File.Exists(table))
            {
                continue;
            }

            foreach (string line in File.ReadLines(table).Skip(1))
            {
                string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length > 3 && fields[1].EndsWith(hexPort, StringComparison.Ordinal) && fields[3] == "0A") // 0A: LISTEN
                {
                    count++;
                }
            }
        }

        return count;
    }

    /// <summary>SIGKILLs every process in <paramref name="pids"/> that still runs.</summary>
    public static void KillAll(IEnumerable<int> pids)
    {
        foreach (int pid in pids.Where(p => p > 0 && IsAlive(p)).Distinct())
        {
            _ = Kill(pid, 9);
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
