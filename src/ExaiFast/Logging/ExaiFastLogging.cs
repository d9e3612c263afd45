using ExaiFast.Configuration;
using Microsoft.Extensions.Logging;
using ZLogger;

namespace ExaiFast.Logging;

/// <summary>The one logging setup of every command that logs (<c>serve</c>, <c>stdio</c>): ZLogger through our bounded writer.</summary>
internal static class ExaiFastLogging
{
    /// <summary>
    /// Replaces every provider with ZLogger writing to <paramref name="logStream"/> (stderr or the log file; never
    /// stdout, which carries protocol in <c>stdio</c>). The returned holder gets the processor when the factory is built.
    /// </summary>
    public static LogProcessorHolder AddExaiFastLogging(this ILoggingBuilder logging, LogSettings settings, Stream logStream, bool ownsLogStream)
    {
        var holder = new LogProcessorHolder();
        logging.ClearProviders();
        logging.SetMinimumLevel(settings.Level);
        logging.AddZLoggerLogProcessor(options =>
        {
            Configure(options, settings.Json);
            holder.Processor = new BoundedLogProcessor(logStream, options.CreateFormatter(), settings.QueueCapacity, ownsLogStream);
            return holder.Processor;
        });
        return holder;
    }

    /// <summary>Text: <c>2026-11-24T05:23:27.123Z INF ExaiFast.Server: message</c>; JSON: one object a line (<see cref="JsonLogFormatter"/>).</summary>
    internal static void Configure(ZLoggerOptions options, bool json)
    {
        options.IncludeScopes = false;
        if (json)
        {
            options.UseFormatter(static () => new JsonLogFormatter());
            return;
        }

        options.UsePlainTextFormatter(f =>
        {
            f.SetPrefixFormatter($"{0:yyyy-MM-ddTHH:mm:ss.fffZ} {1:short} {2}: ", (in MessageTemplate t, in LogInfo info) => t.Format(info.Timestamp.Utc, info.LogLevel, info.Category));
            f.SetExceptionFormatter((writer, ex) => Utf8StringInterpolation.Utf8String.Format(writer, $"\n{ex}"));
        });
    }
}

/// <summary>The log writer once ZLogger has created it (for the dropped-entries metric).</summary>
internal sealed class LogProcessorHolder
{
    public BoundedLogProcessor? Processor { get; set; }
}
