using ExaiFast.Core.Calls;
using ExaiFast.Core.Dispatch;

namespace ExaiFast.Core.Tests;

/// <summary>A test listener that is also told each answer, as a front door's ticket continuation is.</summary>
internal interface ICompletionListener : ICallListener
{
    void OnCompleted(CallKey key, ToolCall call, CallResult result);
}

/// <summary>What a test's submit saw: the status, the execution joined, and the answer of a refusal or replay.</summary>
internal readonly record struct SubmitResult(SubmitStatus Status, ToolCall? Call, CallResult? Result);

/// <summary>Submits as a front door does: listens to the ticket, and hands the answer of an admitted call to the listener.</summary>
internal static class TicketListening
{
    public static SubmitResult Submit(this Dispatcher dispatcher, in CallRequest request, ICallListener listener)
    {
        var ticket = dispatcher.Submit(request);
        if (ticket.Status is SubmitStatus.Refused or SubmitStatus.Replayed)
        {
            return new SubmitResult(ticket.Status, null, ticket.Result);
        }

        ticket.Listen(listener);
        if (listener is ICompletionListener completions)
        {
            ticket.OnCompleted(static (t, state) => ((ICompletionListener)state!).OnCompleted(t.Key, t.Call!, t.Result), completions);
        }

        return new SubmitResult(ticket.Status, ticket.Call, null);
    }
}
