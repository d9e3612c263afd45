using System.Text;
using ExaiFast.Configuration;
using ExaiFast.Hosting;
using ExaiFast.Logging;
using ExaiFast.Server.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ZLogger;

namespace ExaiFast.Tests.Logging;

/// <summary>
/// Cysharp/ZLogger#237: ZLogger's stream writers can stop writing for good when a line ends exactly at their 64 KiB
/// buffer boundary. We log through our own processor; these tests write lines that end at every offset around
/// 64 KiB (and its multiples) and prove every line arrives, whole, in order, and logging keeps working after.
/// </summary>
public class LoggingBoundaryTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task LinesEndingAtEveryOffsetAround64KiB_AllArrive_AndLoggingContinues(bool json)
    {
        var stream = new MemoryStream();
        BoundedLogProcessor? processor = null;
        var expected = new List<string>();
        using (var factory = LoggerFactory.Create(b =>
        {
            b.SetMinimumLevel(LogLevel.Trace);
            b.AddZLoggerLogProcessor(o =>
            {
                ExaiFastLogging.Configure(o, json);
                processor = new BoundedLogProcessor(stream, o.CreateFormatter(), capacity: 1_000_000, ownsStream: false);
                return processor;
            });
        }))
        {
            var log = factory.CreateLogger("boundary");

            // Messages whose lengths walk the cumulative end of line across 64 KiB, 128 KiB … at every byte offset,
            // whatever the prefix length: lengths 65500..65560 alone and after a varying small line.
            for (int length = 65_500; length <= 65_560; length++)
            {
                string big = new('a', length);
                string small = $"n{length}";
                log.ZLogInformation($"{big}");
                log.ZLogInformation($"{small}");
                expected.Add(big);
                expected.Add(small);
            }

            for (int i = 0; i < 2_000; i++)
            {
                string line = new('b', i % 97);
                log.ZLogInformation($"{line}{i}");
                expected.Add(line + i);
            }
        }

        await processor!.DisposeAsync(); // idempotent: drains whatever the factory's disposal left
        var lines = Encoding.UTF8.GetString(stream.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(expected.Count, lines.Length);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Contains(expected[i], lines[i]);
        }

        Assert.Equal(0, processor.Dropped);
    }

    [Fact]
    public async Task FullQueue_DropsAndCounts_WithoutBlockingTheCaller()
    {
        var blocked = new BlockingStream();
        var processor = new BoundedLogProcessor(blocked, CreateFormatter(), capacity: 16, ownsStream: false);
        using (var factory = LoggerFactory.Create(b => b.AddZLoggerLogProcessor(processor)))
        {
            try
            {
                var log = factory.CreateLogger("drop");
                log.ZLogInformation($"first");
                await blocked.Entered.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken); // the writer is now stuck

                for (int i = 0; i < 1_000; i++)
                {
                    log.ZLogInformation($"line {i}"); // must not wait for the stuck writer
                }

                Assert.Equal(1_000 - 16, processor.Dropped); // 16 queued, the rest dropped and counted
            }
            finally
            {
                blocked.Release();
            }
        }

        await processor.DisposeAsync();
        Assert.Equal(17, processor.Written);
    }

    [Fact]
    public async Task TheDaemon_ReportsDroppedEntries_AsExaifastLogEntriesDroppedTotal()
    {
        // The real composition root, logging to a stream that blocks: its "Listening on" line gets the writer stuck,
        // and what follows overflows the queue. /metrics must say so.
        var blocked = new BlockingStream();
        var settings = SettingsLoader.Load(new Dictionary<string, string> { ["EXAI_WS_PORT"] = "0", ["EXAIFAST_LOG_LEVEL"] = "information", ["EXAIFAST_LOG_QUEUE"] = "100" },
            new Dictionary<string, string>(), HermeticStart.EmptyEnvFile);
        var host = DaemonHost.Build(settings, blocked, ownsLogStream: false);
        try
        {
            await host.StartAsync(TestContext.Current.CancellationToken);
            await blocked.Entered.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
            var log = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("flood");
            for (int i = 0; i < 1_000; i++)
            {
                log.ZLogInformation($"line {i}");
            }

            using var http = new HttpClient();
            int port = host.Services.GetRequiredService<ExaiFastServer>().LocalEndPoint!.Port;
            string metrics = await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"), TestContext.Current.CancellationToken);
            var dropped = System.Text.RegularExpressions.Regex.Match(metrics, @"(?m)^exaifast_log_entries_dropped_total (\d+)");
            Assert.True(dropped.Success, "no exaifast_log_entries_dropped_total in /metrics");
            Assert.True(long.Parse(dropped.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= 1_000 - 100, dropped.Value); // 100 queued at most
        }
        finally
        {
            blocked.Release();
            await host.StopAsync(CancellationToken.None);
            await ((IAsyncDisposable)host).DisposeAsync();
        }
    }

    [Fact]
    public async Task EntryTheFormatterCannotSerialise_BecomesAFallbackLine_AndLoggingContinues()
    {
        var stream = new MemoryStream();
        BoundedLogProcessor? processor = null;
        using (var factory = LoggerFactory.Create(b => b.AddZLoggerLogProcessor(o =>
        {
            ExaiFastLogging.Configure(o, json: true);
            processor = new BoundedLogProcessor(stream, o.CreateFormatter(), 100, ownsStream: false);
            return processor;
        })))
        {
            var log = factory.CreateLogger("fallback");
            log.ZLogInformation($"bound {new Unprintable()}");
            log.ZLogInformation($"next");
        }

        await processor!.DisposeAsync();
        string text = Encoding.UTF8.GetString(stream.ToArray());
        Assert.Contains("log entry of category fallback could not be formatted", text);
        Assert.Contains("bound Unprintable", text);
        Assert.Contains("\"Message\":\"next\"", text);
    }

    // Its second text throws: the message takes the first, the JSON parameter the second, the fallback line the third.
    private sealed class Unprintable
    {
        private int _calls;

        public override string ToString() => Interlocked.Increment(ref _calls) == 2 ? throw new InvalidOperationException("not the second time") : "Unprintable";
    }

    private static IZLoggerFormatter CreateFormatter()
    {
        var options = new ZLoggerOptions();
        ExaiFastLogging.Configure(options, json: false);
        return options.CreateFormatter();
    }

    private sealed class BlockingStream : MemoryStream
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Entered => _entered.Task;

        public void Release() => _gate.TrySetResult();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _entered.TrySetResult();
            await _gate.Task;
            await base.WriteAsync(buffer, cancellationToken);
        }
    }
}
