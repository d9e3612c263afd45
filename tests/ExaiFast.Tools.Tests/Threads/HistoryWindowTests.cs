using ExaiFast.Core.Tools;
using ExaiFast.Models;
using ExaiFast.Tools.Threads;

namespace ExaiFast.Tools.Tests.Threads;

/// <summary>
/// A thread's history rebuilt into a request within the model's context window: oldest first, the newest turns kept and
/// a note of how many were left out; a prompt that alone does not fit a known window is refused; an unknown window (0)
/// never refuses, it leaves history out.
/// </summary>
public class HistoryWindowTests
{
    private const string SystemPrompt = "sys!"; // 1 token

    // A 1,000-token window keeps 250 for the answer: 750 tokens (3,000 chars) for the request.
    private static readonly ModelSpec Known = new("known-1k", 1000, ModelCapabilities.None);
    private static readonly ModelSpec Unknown = new("unknown", 0, ModelCapabilities.None);

    private static ThreadTurn Turn(string request, string answer = "", params string[] files) =>
        new() { Tool = "chat", Request = request, Answer = answer, Files = files };

    private static ConversationThread Thread(params ThreadTurn[] turns) => new(Guid.NewGuid(), DateTimeOffset.UnixEpoch, turns);

    private static ChatMessage Current(string text = "now") => new(ChatRole.User, text);

    private static (ChatRole, string)[] Shape(List<ChatMessage> messages) => [.. messages.Select(m => (m.Role, m.Text.ToString()))];

    [Fact]
    public void NoThread_IsTheSystemPromptAndTheCurrentMessage()
    {
        var messages = HistoryWindow.Build(SystemPrompt, null, Current(), Known, out int dropped);
        Assert.Equal([(ChatRole.System, SystemPrompt), (ChatRole.User, "now")], Shape(messages));
        Assert.Equal(0, dropped);
    }

    [Fact]
    public void History_GoesOldestFirst_EachTurnAsItsRequestAndAnswer_ThenTheCurrentMessage()
    {
        var thread = Thread(Turn("first", "answer one"), Turn("second", "answer two", "/a.cs", "/b.cs"), Turn("step only"));
        var current = new ChatMessage(ChatRole.User, "now", ["http://img"]);
        var messages = HistoryWindow.Build(SystemPrompt, thread, current, Known, out int dropped);
        Assert.Equal(0, dropped);
        Assert.Equal(
        [
            (ChatRole.System, SystemPrompt),
            (ChatRole.User, "[chat] first"),
            (ChatRole.Assistant, "answer one"),
            (ChatRole.User, "[chat] second\n(files: /a.cs, /b.cs)"),
            (ChatRole.Assistant, "answer two"),
            (ChatRole.User, "[chat] step only"), // no answer: no assistant message
            (ChatRole.User, "now"),
        ], Shape(messages));
        Assert.Equal(["http://img"], messages[^1].ImageUrls!); // the current message as given
    }

    [Fact]
    public void WorkflowStep_IsRecalledWithItsStepConfidenceFindingsAndHypothesis()
    {
        var step = new ThreadTurn
        {
            Tool = "debug", Request = "look at the parser",
            Step = new WorkflowStep { StepNumber = 2, TotalSteps = 3, Confidence = "medium", Findings = "off by one", Hypothesis = "loop bound" },
        };
        var messages = HistoryWindow.Build(SystemPrompt, Thread(step), Current(), Known, out _);
        Assert.Equal("[debug step 2/3, confidence medium] look at the parser\nFindings: off by one\nHypothesis: loop bound", messages[1].Text.ToString());
    }

    [Fact]
    public void TooLongHistory_KeepsTheNewestTurnsThatFit_WithANoteOfHowManyWereLeftOut()
    {
        // Budget 750 tokens; system 1 + current 1 leave 748. Each turn: "[chat] " + 393 chars = 400 chars = 100 tokens,
        // plus a 400-char answer = 100 tokens: 200 tokens a turn, so 3 of the 5 fit.
        var turns = Enumerable.Range(0, 5).Select(i => Turn($"{i}".PadRight(393, 'q'), $"{i}".PadRight(400, 'a'))).ToArray();
        var messages = HistoryWindow.Build(SystemPrompt, Thread(turns), Current(), Known, out int dropped);
        Assert.Equal(2, dropped);
        Assert.Equal((ChatRole.System, "(The 2 oldest turns of this conversation were left out to fit the model's context window.)"), (messages[1].Role, messages[1].Text.ToString()));
        Assert.Equal(["2", "2", "3", "3", "4", "4"], messages.Skip(2).SkipLast(1).Select(m => m.Text.ToString()).Select(t => t[..1] == "[" ? t[7..8] : t[..1]).ToArray());
        Assert.Equal("now", messages[^1].Text.ToString());
        long tokens = messages.Sum(m => HistoryWindow.Estimate(m.Text));
        Assert.True(tokens <= 750, $"{tokens} tokens sent to a 750-token budget");
    }

    [Fact]
    public void OneTurnLeftOut_IsSaidInTheSingular()
    {
        var turns = new[] { Turn("old".PadRight(2000, 'x')), Turn("new") };
        var messages = HistoryWindow.Build(SystemPrompt, Thread(turns), Current(new string('c', 1500)), Known, out int dropped);
        Assert.Equal(1, dropped);
        Assert.Equal("(The 1 oldest turn of this conversation was left out to fit the model's context window.)", messages[1].Text.ToString());
        Assert.Equal("[chat] new", messages[2].Text.ToString());
    }

    [Fact]
    public void ABigTurn_StopsTheWalk_EvenWhenOlderSmallTurnsWouldFit()
    {
        // Kept history is the newest run of turns: never a gap in the middle of a conversation.
        var turns = new[] { Turn("tiny old"), Turn("huge".PadRight(5000, 'h')), Turn("tiny new") };
        var messages = HistoryWindow.Build(SystemPrompt, Thread(turns), Current(), Known, out int dropped);
        Assert.Equal(2, dropped);
        Assert.Equal(["[chat] tiny new", "now"], messages.Skip(2).Select(m => m.Text.ToString()).ToArray());
    }

    [Fact]
    public void PromptAloneOverAKnownWindow_IsRefusedAsInvalidArguments_NamingTheModelAndItsWindow()
    {
        var ex = Assert.Throws<ToolArgumentException>(() => HistoryWindow.Build(SystemPrompt, null, Current(new string('p', 3000)), Known, out _));
        Assert.Contains("'known-1k'", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"{1000:N0}-token context window", ex.Message, StringComparison.Ordinal);
        Assert.Contains("about 751 tokens", ex.Message, StringComparison.Ordinal);
        Assert.Contains("listmodels", ex.Message, StringComparison.Ordinal);

        // Just within: 2,996 chars + the system's 1 token = 750
        Assert.Equal(2, HistoryWindow.Build(SystemPrompt, null, Current(new string('p', 2996)), Known, out _).Count);
    }

    [Fact]
    public void PromptOverAnUnknownWindow_IsNeverRefused_HistoryIsLeftOut()
    {
        var turns = new[] { Turn("one", "a"), Turn("two", "b") };
        var huge = new string('p', 4 * HistoryWindow.UnknownWindow);
        var messages = HistoryWindow.Build(SystemPrompt, Thread(turns), Current(huge), Unknown, out int dropped);
        Assert.Equal(2, dropped);
        Assert.Equal(3, messages.Count); // system, the note, the prompt
        Assert.Same(huge, messages[^1].Text.ToString());
    }

    [Fact]
    public void UnknownWindow_KeepsHistoryWithinTheAssumedWindow()
    {
        // 128k assumed, 16k kept for the answer: about 111k tokens of history; 60 turns of 2,000 tokens do not all fit.
        var turns = Enumerable.Range(0, 60).Select(i => Turn(new string('x', 4000), new string('y', 4000))).ToArray();
        HistoryWindow.Build(SystemPrompt, Thread(turns), Current(), Unknown, out int dropped);
        Assert.Equal(60 - (HistoryWindow.UnknownWindow - 16_384 - 2) / 2002, dropped);
    }

    [Fact]
    public void Estimate_IsCharactersOverFour_RoundedUp()
    {
        Assert.Equal(0, HistoryWindow.Estimate(""));
        Assert.Equal(1, HistoryWindow.Estimate("a"));
        Assert.Equal(1, HistoryWindow.Estimate("abcd"));
        Assert.Equal(2, HistoryWindow.Estimate("abcde"));
    }
}
