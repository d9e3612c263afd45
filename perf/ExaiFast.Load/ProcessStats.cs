using System.Globalization;
using System.Runtime.InteropServices;

namespace ExaiFast.Load;

/// <summary>CPU time and resident memory of a process, from <c>/proc</c> (Linux), and of this one.</summary>
internal static partial class ProcessStats
{
    private const int ScClkTck = 2; // sysconf(_SC_CLK_TCK) on Linux

    private static readonly long TicksPerSecond = ClockTicks();

    /// <summary>User + system CPU time of <paramref name="pid"/> (<c>/proc/PID/stat</c> fields 14 and 15), or null if it cannot be read.</summary>
    public static TimeSpan? Cpu(int pid)
    {
        try
        {
            return ParseStatCpu(File.ReadAllText($"/proc/{pid}/stat"), TicksPerSecond);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>CPU time of this process (all threads).</summary>
    public static TimeSpan SelfCpu() => Environment.CpuUsage.TotalTime;

    /// <summary>Resident set size of <paramref name="pid"/> in KiB (<c>VmRSS</c> in <c>/proc/PID/status</c>), or null.</summary>
    public static long? RssKiB(int pid)
    {
        try
        {
            return ParseStatusRss(File.ReadAllText($"/proc/{pid}/status"));
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>utime + stime from a <c>/proc/PID/stat</c> line; the command name may hold spaces and parentheses, so fields count from the last ')'.</summary>
    public static TimeSpan ParseStatCpu(string stat, long ticksPerSecond)
    {
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // fields[0] is field 3 (state): utime is field 14, stime field 15.
        long ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / (double)ticksPerSecond);
    }

    public static long? ParseStatusRss(string status)
    {
        foreach (string line in status.Split('\n'))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
            }
        }

        return null;
    }

    private static long ClockTicks()
    {
        try
        {
            long hz = SysConf(ScClkTck);
            return hz > 0 ? hz : 100;
        }
        catch (DllNotFoundException)
        {
            return 100;
        }
    }

    [LibraryImport("libc", EntryPoint = "sysconf")]
    private static partial long SysConf(int name);
}
