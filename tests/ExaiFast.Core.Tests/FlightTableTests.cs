using System.Text.Json;
using ExaiFast.Core.Calls;
using ExaiFast.Core.Dispatch;
using ExaiFast.Core.Options;

namespace ExaiFast.Core.Tests;

/// <summary>Single-flight registrations: exact matches only, completed calls free their slot, collisions stay separate.</summary>
public class FlightTableTests
{
    private static readonly JsonElement NoArguments = JsonDocument.Parse("{}").RootElement;

    private static ToolCall Call(Dispatcher owner, FlightKey key, string id) =>
        new(owner, new CallKey("s", id), new SleepTool(), NoArguments, "local", false, TimeSpan.FromSeconds(30), key, 0, new CancellationTokenSource(), new CallTicket(new CallKey("s", id), keepsResult: true));

    [Fact]
    public async Task ARegisteredCall_IsFoundByItsExactKeyOnly_UntilItIsRemovedOrCompleted()
    {
        await using var owner = new Dispatcher(new DispatcherOptions());
        var table = new FlightTable(maxInflight: 8);
        var key = new FlightKey(1, 2);
        var call = Call(owner, key, "a");

        table.TryAdd(key, call);

        Assert.True(table.TryGet(key, out var found));
        Assert.Same(call, found);
        Assert.False(table.TryGet(new FlightKey(9, 2), out _)); // same slot, other key
        Assert.False(table.TryGet(new FlightKey(1, 3), out _));

        table.Remove(key, call);
        Assert.False(table.TryGet(key, out _));

        table.TryAdd(key, call);
        call.TryComplete(CallResult.Failed(ErrorCodes.Cancelled, "x"));
        Assert.False(table.TryGet(key, out _)); // a completed call is never joined
    }

    [Fact]
    public async Task ACollidingLiveCall_IsNotRegistered_AndRemovingItLeavesTheOwnerOfTheSlot()
    {
        await using var owner = new Dispatcher(new DispatcherOptions());
        var table = new FlightTable(maxInflight: 8);
        var first = Call(owner, new FlightKey(1, 5), "first");
        var second = Call(owner, new FlightKey(2, 5), "second"); // same low bits: same slot

        table.TryAdd(new FlightKey(1, 5), first);
        table.TryAdd(new FlightKey(2, 5), second);
        table.Remove(new FlightKey(2, 5), second);

        Assert.False(table.TryGet(new FlightKey(2, 5), out _));
        Assert.True(table.TryGet(new FlightKey(1, 5), out var found));
        Assert.Same(first, found);

        first.TryComplete(CallResult.Failed(ErrorCodes.Cancelled, "x"));
        table.TryAdd(new FlightKey(2, 5), second); // the slot of a completed call is free again
        Assert.True(table.TryGet(new FlightKey(2, 5), out found));
        Assert.Same(second, found);
    }

    [Fact]
    public async Task IsEmpty_CountsSlotsHoldingACall_ThroughRemovalsAndReplacements()
    {
        await using var owner = new Dispatcher(new DispatcherOptions());
        var table = new FlightTable(maxInflight: 8);
        var key = new FlightKey(1, 2);
        var first = Call(owner, key, "a");
        var second = Call(owner, key, "b");
        Assert.True(table.IsEmpty);

        table.TryAdd(key, first);
        Assert.False(table.IsEmpty);

        first.TryComplete(CallResult.Failed(ErrorCodes.Cancelled, "x"));
        table.TryAdd(key, second); // replaces the ended call: still one slot held
        table.Remove(key, first);  // too late: the slot is the second's now
        Assert.False(table.IsEmpty);

        table.Remove(key, second);
        Assert.True(table.IsEmpty);
        table.Remove(key, second); // twice: nothing more to take away
        Assert.True(table.IsEmpty);
    }
}
