using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using ExaiFast.Testing;

namespace ExaiFast.Tests.Docs;

/// <summary>
/// <c>exaifast serve</c> as a document starts it: the real executable with exactly the given settings (the port the OS
/// picks), in the given directory; ready once it answers <c>GET /ready</c> with 200. Killed on dispose.
/// </summary>
internal sealed partial class DocumentedDaemon : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly TaskCompletionSource<int> _port = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private DocumentedDaemon(ProcessStartInfo start)
    {
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) { Append("stdout: " + e.Data); } };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                _port.TrySetException(new InvalidOperationException("exaifast serve exited before listening:\n" + Log));
                return;
            }

            Append(e.Data);
            if (ListeningLine().Match(e.Data) is { Success: true } m)
            {
                _port.TrySetResult(int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
            }
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Port { get; private set; }

    /// <summary>What it wrote, stderr and stdout interleaved (stdout lines marked).</summary>
    public string Log { get { lock (_log) { return _log.ToString(); } } }

    /// <summary>Starts <c>exaifast serve</c> <paramref name="flags"/> with <paramref name="environment"/> as its whole environment and waits until it is ready.</summary>
    public static async Task<DocumentedDaemon> StartAsync(IReadOnlyList<string> flags, IReadOnlyDictionary<string, string> environment, string workingDirectory)
    {
        var start = HermeticStart.Create(ExaiFastExecutable.FileName, environment, workingDirectory);
        ExaiFastExecutable.AddArguments(start, ["serve", .. flags]);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.RedirectStandardInput = true;
        var daemon = new DocumentedDaemon(start);
        try
        {
            var ct = TestContext.Current.CancellationToken;
            daemon.Port = await daemon._port.Task.WaitAsync(TimeSpan.FromSeconds(60), ct);
            await Readiness.WaitAsync(daemon.Port, () => daemon._process.HasExited, () => daemon.Log, ct);
            return daemon;
        }
        catch
        {
            await daemon.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    private void Append(string line)
    {
        lock (_log)
        {
            _log.AppendLine(line);
        }
    }

    [GeneratedRegex(@"Listening on [^ ]*:(\d+) ")]
    private static partial Regex ListeningLine();
}
