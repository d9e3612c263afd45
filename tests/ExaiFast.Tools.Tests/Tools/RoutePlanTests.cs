using System.Text.Json;
using ExaiFast.Core.Calls;
using ExaiFast.Core.Dispatch;
using ExaiFast.Core.Options;
using ExaiFast.Models;
using ExaiFast.Models.Local;
using ExaiFast.Tools;
using ExaiFast.Tools.Tools;

namespace ExaiFast.Tools.Tests.Tools;

/// <summary>
/// A call is routed once: chat's validation chooses the route (its first choice is the lane the call is admitted to),
/// the call carries it, and the run asks that route as it is — unless the thread it continues turns out to have another
/// model than validation assumed, or the call came without a plan; then the run routes. The marked reason of a planned
/// route shows which one answered.
/// </summary>
public class RoutePlanTests
{
    private const string Marked = "decided at validation";

    private static ChatTool NewChat() => new(new ProviderRegistry([new LocalModelProvider(TimeSpan.Zero)], "auto"));

    private static async Task<CallResult> RunAsync(ChatTool chat, JsonElement arguments, string lane, object? plan)
    {
        await using var dispatcher = new Dispatcher(new DispatcherOptions { LaneSlots = new Dictionary<string, int> { ["local"] = 2 } });
        var ticket = dispatcher.Submit(new CallRequest(new CallKey("s", "r1"), chat, arguments, lane, Stream: false, Plan: plan));
        Assert.Equal(SubmitStatus.Accepted, ticket.Status);
        var answered = new TaskCompletionSource<CallResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        ticket.OnCompleted(static (t, state) => ((TaskCompletionSource<CallResult>)state!).SetResult(t.Result), answered);
        var result = await answered.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.True(result.Ok, result.Error?.Message);
        return result;
    }

    [Fact]
    public async Task TheRun_AsksTheRouteValidationChose_AsItIs()
    {
        var chat = NewChat();
        using var args = JsonDocument.Parse("""{"prompt":"hello"}""");
        var validation = chat.Validate(args.RootElement);
        var plan = Assert.IsType<RoutePlan>(validation.Plan);
        Assert.Equal(LocalModelProvider.ProviderName, validation.Lane);
        Assert.Equal(LocalModelProvider.ProviderName, plan.Decision.Choice.Provider.Name);
        Assert.Null(plan.ThreadModel);

        var result = await RunAsync(chat, args.RootElement, validation.Lane!, plan with { Decision = plan.Decision with { Reason = Marked } });
        Assert.Equal(Marked, result.Route);
        Assert.Equal(LocalModelProvider.ModelName, result.Model);
    }

    [Fact]
    public async Task AThreadModelOtherThanValidationAssumed_IsRoutedAgain()
    {
        var chat = NewChat();
        using var args = JsonDocument.Parse("""{"prompt":"hello"}""");
        var plan = Assert.IsType<RoutePlan>(chat.Validate(args.RootElement).Plan);

        // Validation took the call to continue a thread of another model; the run finds no thread at all.
        var result = await RunAsync(chat, args.RootElement, "local", new RoutePlan(plan.Route with { ThreadModel = "kimi-k2-turbo-preview" }, plan.Decision with { Reason = Marked }));
        Assert.NotEqual(Marked, result.Route);
        Assert.Equal(plan.Decision.Reason, result.Route);
    }

    [Fact]
    public async Task ACallWithoutAPlan_IsRoutedByItsRun()
    {
        var chat = NewChat();
        using var args = JsonDocument.Parse("""{"prompt":"hello"}""");
        var planned = Assert.IsType<RoutePlan>(chat.Validate(args.RootElement).Plan);

        var result = await RunAsync(chat, args.RootElement, "local", plan: null);
        Assert.Equal(planned.Decision.Reason, result.Route);
        Assert.Equal(LocalModelProvider.ModelName, result.Model);
    }
}
