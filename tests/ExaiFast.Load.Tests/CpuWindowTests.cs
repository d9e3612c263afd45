namespace ExaiFast.Load.Tests;

public class CpuWindowTests
{
    [Fact]
    public void AWindowThatNeverStarted_MeasuredNothing()
    {
        var window = new CpuWindow(Environment.ProcessId);
        window.Stop();
        Assert.Null(window.Server);
        Assert.Equal(TimeSpan.Zero, window.Generator);
    }

    [Fact]
    public void AWindow_MeasuresTheCpuSpentInsideIt_ByTheServerAndByTheGenerator()
    {
        // This process is both: it burns 200 ms of CPU inside the window, by the runtime's own count (not by the clock,
        // which a descheduled thread would fool), and both readings must have seen at least most of it.
        var burn = TimeSpan.FromMilliseconds(200);
        var window = new CpuWindow(OperatingSystem.IsLinux() ? Environment.ProcessId : null);
        window.Start();
        var from = Environment.CpuUsage.TotalTime;
        long spin = 0;
        while (Environment.CpuUsage.TotalTime - from < burn)
        {
            for (int i = 0; i < 100_000; i++)
            {
                spin += i % 7;
            }
        }

        window.Stop();
        Assert.True(spin > 0);
        Assert.True(window.Generator >= burn, $"generator {window.Generator}");
        if (OperatingSystem.IsLinux())
        {
            // /proc counts in clock ticks (10 ms): at most one tick short at each end.
            Assert.True(window.Server >= burn - TimeSpan.FromMilliseconds(20), $"server {window.Server}");
        }
    }

    [Fact]
    public void WithoutAServerPid_OnlyTheGeneratorIsMeasured()
    {
        var window = new CpuWindow(null);
        window.Start();
        window.Stop();
        Assert.Null(window.Server);
    }
}
