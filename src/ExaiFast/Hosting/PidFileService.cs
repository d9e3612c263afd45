using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ExaiFast.Hosting;

/// <summary>Writes the <see cref="PidFile"/> once the server is bound (serve binds before the host starts; this starts
/// before the server accepts) and removes it at a clean shutdown, after the server has drained.</summary>
internal sealed partial class PidFileService(string path, ILogger<PidFileService> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            PidFile.Write(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The daemon serves without it; only a second 'serve' loses the PID in its message.
            Log.WriteFailed(logger, path, ex.Message);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        PidFile.Remove(path);
        return Task.CompletedTask;
    }

    private static partial class Log
    {
        [LoggerMessage(470, LogLevel.Warning, "Cannot write the PID file {Path}: {Reason}")]
        public static partial void WriteFailed(ILogger logger, string path, string reason);
    }
}
