namespace ExaiFast.Load.Tests;

/// <summary>Frames as ExaiFast and perf/KestrelExai send them (copied from both on the wire): the generator must read either the same way.</summary>
public class ExaiReplyTests
{
    private static Reply? Read(string frame, string answerOp = "call_tool_res") =>
        ExaiReply.TryRead(System.Text.Encoding.UTF8.GetBytes(frame), System.Text.Encoding.UTF8.GetBytes(answerOp), out var reply) ? reply : null;

    [Theory]
    [InlineData("""{"op":"call_tool_ack","request_id":"12","accepted":true,"name":"chat","timeout":180}""")]
    [InlineData("""{"op":"progress","request_id":"12","name":"chat","t":1795983097.77,"elapsed_ms":8000.1}""")]
    [InlineData("""{"op":"hello_ack","ok":true,"session_id":"s","server":{"name":"exaifast","version":"0.1.0"},"limits":{"max_bytes":33554432,"session_max_inflight":8}}""")]
    [InlineData("""{"op":"error","error":{"code":"INVALID_REQUEST","message":"no id"}}""")]
    public void FramesThatEndNoRequest_AreNotAnswers(string frame)
    {
        Assert.Null(Read(frame));
    }

    [Theory]
    [InlineData("""not json""")]
    [InlineData("""[1,2]""")]
    [InlineData("""{"op":"call_tool_res","request_id":"1",""")]
    public void FramesThatAreNotAJsonObject_FailNoRequest_SoNoLoopWaitsOnThem(string frame)
    {
        Assert.Equal(new Reply(-1, ReplyKind.Failed), Read(frame));
    }

    [Theory]
    [InlineData("exaifast", """{"op":"call_tool_res","request_id":"12","ok":true,"outputs":[{"type":"text","text":"[offline local model — no API key configured; this is not an AI answer] Received 1 words (8 characters), digest 198a85d714bc. You wrote: \"xxxxxxxx\""}],"text":"[offline local model — no API key configured; this is not an AI answer] Received 1 words (8 characters), digest 198a85d714bc. You wrote: \"xxxxxxxx\"","metrics":{"queue_ms":7.386,"run_ms":7.437,"provider":"local","model":"local-echo"}}""")]
    [InlineData("kestrel", """{"op":"call_tool_res","request_id":"12","ok":true,"outputs":[{"type":"text","text":"a"}],"text":"a","metrics":{"queue_ms":0,"run_ms":0,"provider":"local","model":"local-echo"}}""")]
    public void CallToolResult_Ok_FromEitherDaemon(string daemon, string frame)
    {
        Assert.True(Read(frame) == new Reply(12, ReplyKind.Ok), daemon);
    }

    [Fact]
    public void OverCapacity_IsARefusal()
    {
        Assert.Equal(new Reply(9, ReplyKind.Refused), Read("""{"op":"call_tool_res","request_id":"9","ok":false,"error":{"code":"OVER_CAPACITY","message":"24 calls in flight","retry_after":1}}"""));
    }

    [Fact]
    public void OtherErrors_AreFailures()
    {
        Assert.Equal(new Reply(9, ReplyKind.Failed), Read("""{"op":"call_tool_res","request_id":"9","ok":false,"error":{"code":"TIMEOUT","message":"late"}}"""));
        Assert.Equal(new Reply(3, ReplyKind.Failed), Read("""{"op":"error","request_id":"3","error":{"code":"INVALID_REQUEST","message":"unknown op: x"}}"""));
    }

    [Fact]
    public void Pong_IsTheAnswerToPing()
    {
        Assert.Equal(new Reply(5, ReplyKind.Ok), Read("""{"op":"pong","request_id":"5","t":1795983097.769}""", "pong"));
        Assert.Null(Read("""{"op":"pong","request_id":"5","t":1795983097.769}"""));
    }

    [Fact]
    public void ARequestIdThatIsNotOurNumber_HasSequenceMinusOne()
    {
        Assert.Equal(new Reply(-1, ReplyKind.Ok), Read("""{"op":"call_tool_res","request_id":"c1-7","ok":true}"""));
        Assert.Equal(new Reply(-1, ReplyKind.Ok), Read("""{"op":"call_tool_res","request_id":"\u0031","ok":true}"""));
    }
}
