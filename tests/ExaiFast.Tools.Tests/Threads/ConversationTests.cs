using System.Text;
using ExaiFast.Core.Tools;
using ExaiFast.Tools.Schema;
using ExaiFast.Tools.Threads;

namespace ExaiFast.Tools.Tests.Threads;

/// <summary>
/// What every thread-keeping tool does with its thread: a turn's text clipped at 256 Ki chars (never half a surrogate
/// pair, with a note of what was left out), and the clear INVALID_ARGUMENTS for a thread that is not there or full.
/// </summary>
public class ConversationTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public void Clip_KeepsTextUpToTheLimit_AsItIs()
    {
        string exact = new('a', Conversation.MaxTurnChars);
        Assert.Same(exact, Conversation.Clip(exact));
        Assert.Equal("short", Conversation.Clip("short"));
        Assert.Equal(1 << 18, Conversation.MaxTurnChars);
    }

    [Fact]
    public void Clip_CutsALongerText_AtTheLimit_WithANoteOfHowManyCharactersWereLeftOut()
    {
        string text = new string('a', Conversation.MaxTurnChars) + new string('b', 1000);
        string clipped = Conversation.Clip(text);
        Assert.StartsWith(new string('a', Conversation.MaxTurnChars) + "\n[… ", clipped, StringComparison.Ordinal);
        Assert.DoesNotContain("b", clipped[..Conversation.MaxTurnChars], StringComparison.Ordinal);
        Assert.EndsWith($"{1000:N0} more characters were sent on this turn and are not kept in the thread]", clipped, StringComparison.Ordinal);
    }

    [Fact]
    public void Clip_NeverSplitsASurrogatePair()
    {
        // An emoji (two UTF-16 units) straddles the limit: its high half is the last char that would be kept.
        string text = new string('a', Conversation.MaxTurnChars - 1) + "😀" + new string('z', 10);
        Assert.True(char.IsHighSurrogate(text[Conversation.MaxTurnChars - 1]));
        string clipped = Conversation.Clip(text);
        string kept = clipped[..clipped.IndexOf("\n[…", StringComparison.Ordinal)];
        Assert.Equal(Conversation.MaxTurnChars - 1, kept.Length);
        Assert.Equal(clipped, new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(new UTF8Encoding(false, throwOnInvalidBytes: true).GetBytes(clipped)));
        Assert.Contains($"{12:N0} more characters", clipped, StringComparison.Ordinal);

        // A pair that ends exactly at the limit is kept whole.
        string whole = new string('a', Conversation.MaxTurnChars - 2) + "😀" + "zz";
        Assert.StartsWith(whole[..Conversation.MaxTurnChars] + "\n", Conversation.Clip(whole), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Load_AThreadThatIsNotThere_IsAClearError_NamingTheFieldAndTheTimeout()
    {
        var store = new MemoryThreadStore(new ThreadStoreOptions { Ttl = TimeSpan.FromHours(3) });
        var id = Guid.NewGuid();
        var ex = await Assert.ThrowsAsync<ToolArgumentException>(async () => await Conversation.LoadAsync(store, id, None));
        Assert.StartsWith($"'continuation_id': no conversation thread {id}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("expired 3 h after its last turn (CONVERSATION_TIMEOUT_HOURS)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("leave continuation_id out to start a new one", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Load_AFullThread_IsAClearError_NamingTheCap()
    {
        var store = new MemoryThreadStore(new ThreadStoreOptions { MaxTurns = 2 });
        var id = Guid.NewGuid();
        var turn = new ThreadTurn { Tool = "chat", Request = "q" };
        Assert.Equal(1, await Conversation.RecordAsync(store, id, turn, create: true, None)); // 1 turn left
        Assert.Single((await Conversation.LoadAsync(store, id, None)).Turns);
        Assert.Equal(0, await Conversation.RecordAsync(store, id, turn, create: false, None));

        var ex = await Assert.ThrowsAsync<ToolArgumentException>(async () => await Conversation.LoadAsync(store, id, None));
        Assert.Equal($"'continuation_id': conversation thread {id} holds its 2 turns (MAX_CONVERSATION_TURNS); leave continuation_id out to start a new one", ex.Message);
        Assert.Null(await Conversation.RecordAsync(store, id, turn, create: false, None)); // not recorded
        Assert.Null(await Conversation.RecordAsync(store, Guid.NewGuid(), turn, create: false, None)); // no such thread
    }

    [Fact]
    public void IdOf_ReadsTheContinuationIdAsAGuid()
    {
        var id = Guid.NewGuid();
        Assert.Equal(id, Conversation.IdOf(new ToolArguments(System.Text.Json.JsonDocument.Parse($"{{\"continuation_id\":\"{id}\"}}").RootElement)));
        Assert.Null(Conversation.IdOf(new ToolArguments(System.Text.Json.JsonDocument.Parse("{}").RootElement)));
    }
}
