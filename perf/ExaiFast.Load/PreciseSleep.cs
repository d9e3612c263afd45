using System.Diagnostics;
using System.Runtime.InteropServices;

namespace ExaiFast.Load;

/// <summary>
/// Sleeps to a <see cref="Stopwatch"/> timestamp with tens of microseconds of slack (<c>nanosleep</c>), not the
/// millisecond of <c>Thread.Sleep</c>: an open loop measures from the intended send time, so a late wake-up would be
/// charged to the server. Never spins: the generator shares its core with its own receive work.
/// </summary>
internal static partial class PreciseSleep
{
    /// <summary>Returns at or after <paramref name="timestamp"/>, sleeping at most <paramref name="maxSlice"/> at a time.</summary>
    public static void Until(long timestamp, TimeSpan maxSlice)
    {
        long now;
        while ((now = Stopwatch.GetTimestamp()) < timestamp)
        {
            long nanos = Math.Min((long)((timestamp - now) * (1e9 / Stopwatch.Frequency)), (long)(maxSlice.TotalMicroseconds * 1000));
            Sleep(Math.Max(nanos, 1000));
        }
    }

    private static void Sleep(long nanos)
    {
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
        {
            var request = new TimeSpec { Seconds = nanos / 1_000_000_000, Nanoseconds = nanos % 1_000_000_000 };
            NanoSleep(in request, IntPtr.Zero);
        }
        else
        {
            Thread.Sleep(TimeSpan.FromTicks(Math.Max(nanos / 100, TimeSpan.TicksPerMillisecond)));
        }
    }

    [LibraryImport("libc", EntryPoint = "nanosleep")]
    private static partial int NanoSleep(in TimeSpec request, IntPtr remaining);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
