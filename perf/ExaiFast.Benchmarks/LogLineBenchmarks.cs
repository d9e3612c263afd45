using System.Buffers;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging;
using ZLogger;

namespace ExaiFast.Benchmarks;

/// <summary>
/// Bytes allocated and time per log line about a call (its request id, session, tool, lane, outcome and timings), through
/// ZLogger as the daemon logs (text format, entries pooled), written by a processor that formats each entry at once:
/// the .NET <c>[LoggerMessage]</c> source generator beside ZLogger's own <c>[ZLoggerMessage]</c>, and both with the
/// line's level switched off.
/// </summary>
/// <remarks><c>dotnet run -c Release --project perf/ExaiFast.Benchmarks -- --filter '*LogLine*'</c></remarks>
[MemoryDiagnoser]
public partial class LogLineBenchmarks
{
    private ILoggerFactory _factory = null!;
    private ILogger _on = null!;
    private ILogger _off = null!;

    [GlobalSetup]
    public void Setup()
    {
        _factory = LoggerFactory.Create(logging =>
        {
            logging.SetMinimumLevel(LogLevel.Debug);
            logging.AddFilter("Off", LogLevel.Information);
            logging.AddZLoggerLogProcessor(options =>
            {
                options.UsePlainTextFormatter(f => f.SetPrefixFormatter($"{0:yyyy-MM-ddTHH:mm:ss.fffZ} {1:short} {2}: ",
                    (in MessageTemplate t, in LogInfo info) => t.Format(info.Timestamp.Utc, info.LogLevel, info.Category)));
                return new FormatAtOnce(options.CreateFormatter());
            });
        });
        _on = _factory.CreateLogger("ExaiFast.Dispatch");
        _off = _factory.CreateLogger("Off");
    }

    [GlobalCleanup]
    public void Cleanup() => _factory.Dispose();

    [Benchmark(Baseline = true)]
    public void LoggerMessage() => LoggerMessageLog.CallEnded(_on, "c-1842", "ws-5f1c2a", "chat", "kimi", "ok", 0.412, 1834.25);

    [Benchmark]
    public void ZLoggerMessage() => ZLoggerMessageLog.CallEnded(_on, "c-1842", "ws-5f1c2a", "chat", "kimi", "ok", 0.412, 1834.25);

    [Benchmark]
    public void LoggerMessage_LevelOff() => LoggerMessageLog.CallEnded(_off, "c-1842", "ws-5f1c2a", "chat", "kimi", "ok", 0.412, 1834.25);

    [Benchmark]
    public void ZLoggerMessage_LevelOff() => ZLoggerMessageLog.CallEnded(_off, "c-1842", "ws-5f1c2a", "chat", "kimi", "ok", 0.412, 1834.25);

    /// <summary>Formats each entry as it is posted, into one reused buffer, and gives it back to ZLogger's pool.</summary>
    private sealed class FormatAtOnce(IZLoggerFormatter formatter) : IAsyncLogProcessor
    {
        private readonly ArrayBufferWriter<byte> _buffer = new(1024);

        public void Post(IZLoggerEntry log)
        {
            _buffer.ResetWrittenCount();
            formatter.FormatLogEntry(_buffer, log);
            log.Return();
        }

        public ValueTask DisposeAsync() => default;
    }
}

internal static partial class LoggerMessageLog
{
    [LoggerMessage(105, LogLevel.Debug, "Call {RequestId} of session {SessionId}: {Tool} in lane {Lane} ended {Outcome} ({QueueMs} ms queued, {RunMs} ms running)")]
    public static partial void CallEnded(ILogger logger, string requestId, string sessionId, string tool, string lane, string outcome, double queueMs, double runMs);
}

internal static partial class ZLoggerMessageLog
{
    [ZLoggerMessage(LogLevel.Debug, "Call {RequestId} of session {SessionId}: {Tool} in lane {Lane} ended {Outcome} ({QueueMs} ms queued, {RunMs} ms running)")]
    public static partial void CallEnded(ILogger logger, string requestId, string sessionId, string tool, string lane, string outcome, double queueMs, double runMs);
}
