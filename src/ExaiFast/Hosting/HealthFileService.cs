using System.Buffers;
using System.Globalization;
using System.Text.Json;
using ExaiFast.Core.Dispatch;
using ExaiFast.Core.Tools;
using ExaiFast.Server;
using ExaiFast.Server.ExaiWs;
using ExaiFast.Server.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ExaiFast.Hosting;

/// <summary>
/// <c>EXAIFAST_HEALTH_FILE</c>: the daemon's health as a JSON file for tooling that reads files rather than /health
/// (the original's <c>logs/ws_daemon.health.json</c>). Written when the server has bound (it starts after the server),
/// rewritten every interval, removed at a clean shutdown: a file that is present names a running daemon, or one that
/// died (its pid is gone and <c>written_at</c> stops moving).
/// </summary>
/// <remarks>
/// Each rewrite goes to a temp file beside it, then is renamed over it: a reader sees a whole old file or a whole new
/// one, never a half-written one. The fields are exai-ws <c>health</c>'s (<see cref="HealthJson"/>, the same status
/// object), plus who and where: pid, host, port, version, written_at.
/// </remarks>
internal sealed partial class HealthFileService(
    string path, TimeSpan interval, IDaemonStatus status, IToolCatalog tools, Func<IReadOnlyDictionary<string, bool>> providers,
    ExaiFastServer server, TimeProvider time, ILogger<HealthFileService> logger) : IHostedService
{
    private readonly string _temp = $"{path}.{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}.tmp";
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private System.Net.IPEndPoint? _endPoint;
    private bool _failing;

    /// <summary>
    /// Creates the file's directory and checks that it can be written, before the daemon binds: a health file that can
    /// never be written is a configuration error. Returns why not, or null.
    /// </summary>
    public static string? Prepare(string path)
    {
        try
        {
            string full = Path.GetFullPath(path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            string probe = $"{full}.{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}.tmp";
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return ex.Message;
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _endPoint = server.LocalEndPoint; // read once, while the listener is open (the port 0 asked for is known by now)
        Write(); // present as soon as the daemon serves
        _loop = RunAsync();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _stop.Dispose();
        TryDelete(path);
        TryDelete(_temp);
    }

    private async Task RunAsync()
    {
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                Write();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Write()
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteNumber("pid"u8, Environment.ProcessId);
            json.WriteString("host"u8, _endPoint?.Address.ToString());
            json.WriteNumber("port"u8, _endPoint?.Port ?? 0);
            json.WriteString("version"u8, ServerInfo.Version);
            json.WriteString("written_at"u8, time.GetUtcNow().UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
            HealthJson.WriteFields(json, status, tools.All.Count, providers());
            json.WriteEndObject();
        }

        try
        {
            using (var file = new FileStream(_temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                file.Write(buffer.WrittenSpan);
            }

            File.Move(_temp, path, overwrite: true);
            _failing = false;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A tooling file must not stop the daemon: say so once per run of failures, keep trying.
            if (!_failing)
            {
                _failing = true;
                Log.WriteFailed(logger, path, ex.Message);
            }
        }
    }

    private static void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    private static partial class Log
    {
        [LoggerMessage(471, LogLevel.Warning, "Cannot write the health file {Path}: {Reason}")]
        public static partial void WriteFailed(ILogger logger, string path, string reason);
    }
}
