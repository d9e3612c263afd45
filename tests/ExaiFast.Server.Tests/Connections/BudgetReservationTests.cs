using System.Net;
using System.Net.Sockets;
using ExaiFast.Server.Connections;
using ExaiFast.Server.Http;
using ExaiFast.Server.Metrics;
using ExaiFast.Server.Options;
using ExaiFast.Server.WebSockets;
using Microsoft.Extensions.Logging.Abstractions;

namespace ExaiFast.Server.Tests.Connections;

/// <summary>One connection's share of the inbound budget: waits that end with the connection, hand-over to a payload.</summary>
public sealed class BudgetReservationTests : IAsyncLifetime
{
    private const long MiB = 1 << 20;

    private readonly ServerContext _ctx = new(new ServerOptions { InboundBudgetBytes = 10 * MiB }, new ServerMetrics(), NullLogger.Instance,
        TimeProvider.System, EchoHandler.Instance);

    private Socket? _listener;
    private Socket? _client;
    private TransportConnection? _connection;

    private InboundBudget Budget => _ctx.InboundBudget;

    public async ValueTask InitializeAsync()
    {
        // A real accepted socket on loopback: the reservation asks its connection whether it was aborted or told to stop.
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(1);
        _client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var accept = _listener.AcceptAsync(TestContext.Current.CancellationToken);
        await _client.ConnectAsync(_listener.LocalEndPoint!, TestContext.Current.CancellationToken);
        _connection = new TransportConnection(await accept, _ctx);
    }

    public async ValueTask DisposeAsync()
    {
        _connection?.Abort();
        _client?.Dispose();
        _listener?.Dispose();
        await _ctx.Registry.DisposeAsync();
    }

    [Fact]
    public async Task AWaitBegunOnAConnectionAlreadyAborted_GivesUpAtOnce_InsteadOfOutlivingIt()
    {
        // The abort came first, so it found no waiter to cancel: the reservation must see the abort once it waits.
        var reservation = new BudgetReservation(Budget, _ctx.Time, _connection!);
        Assert.True(Budget.TryReserve(8 * MiB, out _));
        _connection!.Abort();

        bool granted = await reservation.ReserveAsync(4 * MiB).AsTask().WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        Assert.False(granted);
        Assert.Equal(0, reservation.Reserved);
        Assert.Equal(0, reservation.WaitStarted);
        Assert.Equal(8 * MiB, Budget.Used);
    }

    [Fact]
    public async Task CancelWait_EndsAWaitRefused_AndOnlyAWaitUnderWay()
    {
        var reservation = new BudgetReservation(Budget, _ctx.Time, _connection!);
        Assert.False(reservation.CancelWait()); // nothing waits
        Assert.True(Budget.TryReserve(8 * MiB, out _));

        var wait = reservation.ReserveAsync(4 * MiB).AsTask();
        Assert.NotEqual(0, reservation.WaitStarted);
        Assert.True(reservation.IsWaiting);
        Assert.True(reservation.CancelWait()); // the heartbeat giving up, or a shutdown

        Assert.False(await wait.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
        Assert.False(reservation.IsWaiting);
        Assert.Equal(0, reservation.HeldSince);
        Assert.Equal(8 * MiB, Budget.Used);
    }

    [Fact]
    public async Task HandOver_LeavesThePayloadsShareReserved_GivesTheRestBack_AndEndsTheHold()
    {
        var reservation = new BudgetReservation(Budget, _ctx.Time, _connection!);
        Assert.True(await reservation.ReserveAsync(2 * MiB));
        Assert.True(await reservation.ReserveAsync(4 * MiB)); // a fragmented message growing in doubling steps
        Assert.Equal(6 * MiB, reservation.Reserved);
        Assert.NotEqual(0, reservation.HeldSince);

        reservation.HandOver(5 * MiB); // its array holds 5 MiB: released with the array, later

        Assert.Equal(0, reservation.Reserved);
        Assert.Equal(0, reservation.HeldSince);
        Assert.Equal(5 * MiB, Budget.Used);
        Budget.Release(5 * MiB);
        reservation.ReleaseAll(); // idempotent: nothing left
        Assert.Equal(0, Budget.Used);
    }
}
