using ExaiFast.Tests.ExaiWs;

namespace ExaiFast.Tests.Models;

/// <summary>Reads a daemon's /metrics, one series at a time.</summary>
internal static class DaemonMetrics
{
    /// <summary>The value of one series (<c>name{labels}</c> as Prometheus writes it), 0 when absent.</summary>
    public static async Task<double> ReadAsync(Daemon daemon, string series)
    {
        using var http = new HttpClient();
        string text = await http.GetStringAsync(new Uri(daemon.HttpUri, "/metrics"), TestContext.Current.CancellationToken);
        foreach (string line in text.Split('\n'))
        {
            if (line.StartsWith(series + " ", StringComparison.Ordinal))
            {
                return double.Parse(line[(series.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    /// <summary>Waits (bounded) until the series has <paramref name="value"/>.</summary>
    public static async Task ReachesAsync(Daemon daemon, string series, double value)
    {
        var deadline = Environment.TickCount64 + 20_000;
        double seen;
        while ((seen = await ReadAsync(daemon, series)) != value)
        {
            Assert.True(Environment.TickCount64 < deadline, $"{series} is {seen}, not {value}");
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
    }
}
