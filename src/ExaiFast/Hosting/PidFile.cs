using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;

namespace ExaiFast.Hosting;

/// <summary>
/// <c>exaifast-&lt;port&gt;.pid</c> (<see cref="RuntimeDirectory"/>): which process serves a port, so that a second
/// <c>serve</c> can name it. The port's bind is what keeps a second daemon out (one listener per address); this file
/// only says who holds it, and is believed only while its process is alive, is an <c>exaifast serve</c>, and started
/// before the file was written (a PID reused since is not the daemon that wrote it).
/// </summary>
internal static class PidFile
{
    /// <summary>Writes this process's PID, atomically (temp file + rename): a reader sees the old PID or the new one.</summary>
    /// <exception cref="IOException">The directory cannot be written.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory cannot be written.</exception>
    public static void Write(string path)
    {
        string temp = $"{path}.{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}.tmp";
        File.WriteAllText(temp, Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Removes the file if it still names this process (a clean shutdown); anything else is left alone.</summary>
    public static void Remove(string path)
    {
        try
        {
            if (ReadPid(path) == Environment.ProcessId)
            {
                File.Delete(path);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A file we cannot remove is stale from now on, and stale files are ignored.
        }
    }

    /// <summary>The PID of the live daemon the file names, or null when there is no file or it is stale.</summary>
    public static int? LiveDaemon(string path)
    {
        try
        {
            if (ReadPid(path) is not { } pid || pid == Environment.ProcessId)
            {
                return null;
            }

            DateTime written = File.GetLastWriteTimeUtc(path);
            using var process = Process.GetProcessById(pid);
            if (process.HasExited || !IsExaiFastServe(process) || process.StartTime.ToUniversalTime() > written.AddSeconds(1))
            {
                return null;
            }

            return pid;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException or Win32Exception or NotSupportedException)
        {
            return null; // no file, a process that is gone, or one we may not look at: nothing to name
        }
    }

    private static int? ReadPid(string path)
    {
        string text = File.ReadAllText(path).Trim();
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && pid > 0 ? pid : null;
    }

    // Linux shows the command line: the native binary or 'dotnet exaifast.dll', with 'serve'. A zombie's is empty.
    // Elsewhere only the process name is cheap to read, and it is the binary's.
    private static bool IsExaiFastServe(Process process)
    {
        string cmdline = $"/proc/{process.Id.ToString(CultureInfo.InvariantCulture)}/cmdline";
        if (!File.Exists(cmdline))
        {
            return process.ProcessName.Equals("exaifast", StringComparison.OrdinalIgnoreCase);
        }

        string[] args = File.ReadAllText(cmdline).Split('\0', StringSplitOptions.RemoveEmptyEntries);
        return args.Any(a => Path.GetFileNameWithoutExtension(a).Equals("exaifast", StringComparison.OrdinalIgnoreCase)) && args.Contains("serve", StringComparer.Ordinal);
    }
}
