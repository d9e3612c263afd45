using System.Net;
using System.Net.Sockets;

namespace ExaiFast.Tests.Stdio;

/// <summary>
/// A loopback TCP forwarder in front of a daemon, so that a test can cut the bridge's connection (the daemon keeps
/// running), refuse reconnects for a while, and hold back what the daemon sends.
/// </summary>
internal sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _target;
    private readonly List<(TcpClient A, TcpClient B)> _pairs = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accept;
    private volatile bool _refusing;
    private volatile TaskCompletionSource? _held;

    public TcpProxy(IPEndPoint target)
    {
        _target = target;
        _listener.Start();
        _accept = Task.Run(AcceptAsync);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Connections forwarded so far.</summary>
    public int Accepted { get; private set; }

    /// <summary>While set, new connections are closed at once (the bridge keeps retrying).</summary>
    public bool Refusing { get => _refusing; set => _refusing = value; }

    /// <summary>
    /// From now on, bytes from the daemon are read but not passed on until <see cref="ReleaseReplies"/>; a <see cref="DropAll"/>
    /// meanwhile discards them. So a test decides that the bridge has not seen an answer, whenever the daemon sent it.
    /// </summary>
    public void HoldReplies() => _held ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void ReleaseReplies() => Interlocked.Exchange(ref _held, null)?.TrySetResult();

    /// <summary>Cuts every forwarded connection (an RST to both sides).</summary>
    public void DropAll()
    {
        lock (_pairs)
        {
            foreach (var (a, b) in _pairs)
            {
                a.Client.LingerState = new LingerOption(true, 0);
                b.Client.LingerState = new LingerOption(true, 0);
                a.Dispose();
                b.Dispose();
            }

            _pairs.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        ReleaseReplies();
        _listener.Stop();
        DropAll();
        await _accept.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient inbound;
            try
            {
                inbound = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }

            if (_refusing)
            {
                inbound.Client.LingerState = new LingerOption(true, 0);
                inbound.Dispose();
                continue;
            }

            var outbound = new TcpClient();
            try
            {
                await outbound.ConnectAsync(_target, _stop.Token);
            }
            catch (Exception)
            {
                inbound.Dispose();
                outbound.Dispose();
                continue;
            }

            lock (_pairs)
            {
                _pairs.Add((inbound, outbound));
                Accepted++;
            }

            _ = PumpAsync(inbound, outbound, fromDaemon: false);
            _ = PumpAsync(outbound, inbound, fromDaemon: true);
        }
    }

    private async Task PumpAsync(TcpClient from, TcpClient to, bool fromDaemon)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            int n;
            while ((n = await from.GetStream().ReadAsync(buffer)) > 0)
            {
                if (fromDaemon && _held is { } held)
                {
                    await held.Task;
                    if (!from.Connected)
                    {
                        return; // dropped while held: what was read is lost with the connection
                    }
                }

                await to.GetStream().WriteAsync(buffer.AsMemory(0, n));
            }

            to.Client.Shutdown(SocketShutdown.Send);
        }
        catch (Exception)
        {
            // cut by DropAll, or the other side went
        }
    }
}
