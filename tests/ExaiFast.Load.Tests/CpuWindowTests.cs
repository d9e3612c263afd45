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
    public void AWindow_MeasuresTheServerAndTheGenerator_NeverNegative()
    {
        var window = new CpuWindow(OperatingSystem.IsLinux() ? Environment.ProcessId : null);
        window.Start();
        long spin = 0;
        for (int i = 0; i < 1_000_000; i++)
        {
            spin += i % 7;
        }

        window.Stop();
        Assert.True(spin > 0);
        Assert.True(window.Generator >= TimeSpan.Zero);
        if (OperatingSystem.IsLinux())
        {
            Assert.True(window.Server >= TimeSpan.Zero);
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
