namespace ExaiFast.Load.Tests;

public class ProcessStatsTests
{
    [Fact]
    public void StatCpu_IsUtimePlusStime_EvenWhenTheCommandHasSpacesAndParentheses()
    {
        const string stat = "4242 (dotnet (x) y) S 1 4242 4242 0 -1 4194304 100 0 0 0 250 50 0 0 20 0 12 0 100 1000 200 18446744073709551615";
        Assert.Equal(TimeSpan.FromSeconds(3), ProcessStats.ParseStatCpu(stat, ticksPerSecond: 100));
    }

    [Fact]
    public void StatusRss_IsVmRssInKiB()
    {
        Assert.Equal(123456, ProcessStats.ParseStatusRss("Name:\tdotnet\nVmPeak:\t  999 kB\nVmRSS:\t  123456 kB\nThreads:\t12\n"));
        Assert.Null(ProcessStats.ParseStatusRss("Name:\tdotnet\n"));
    }

    [Fact]
    public void ThisProcess_HasCpuAndMemory_AndAGonePidHasNone()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        Assert.NotNull(ProcessStats.Cpu(Environment.ProcessId));
        Assert.True(ProcessStats.RssKiB(Environment.ProcessId) > 0);
        Assert.Null(ProcessStats.Cpu(int.MaxValue));
        Assert.Null(ProcessStats.RssKiB(int.MaxValue));
    }
}
