namespace ExaiFast.Load.Tests;

public class McpReplyTests
{
    private static Reply? Read(string message) =>
        McpReply.TryRead(System.Text.Encoding.UTF8.GetBytes(message), out var reply) ? reply : null;

    [Theory]
    [InlineData("""{"jsonrpc":"2.0","id":2,"result":{"content":[{"type":"text","text":"[offline local model] You wrote: \"xxxx\""}],"isError":false}}""")]
    [InlineData("""{"jsonrpc":"2.0","id":2,"result":{"content":[{"type":"text","text":"a"}]}}""")]
    public void ToolResult_IsOk(string message)
    {
        Assert.Equal(new Reply(2, ReplyKind.Ok), Read(message));
    }

    [Fact]
    public void ToolErrorWithOverCapacity_IsARefusal()
    {
        Assert.Equal(new Reply(4, ReplyKind.Refused), Read("""{"jsonrpc":"2.0","id":4,"result":{"content":[{"type":"text","text":"OVER_CAPACITY: lane 'local' queue is full (64)"}],"isError":true,"_meta":{"exaifast/error":{"code":"OVER_CAPACITY"}}}}"""));
    }

    [Fact]
    public void OtherToolErrorsAndProtocolErrors_AreFailures()
    {
        Assert.Equal(new Reply(4, ReplyKind.Failed), Read("""{"jsonrpc":"2.0","id":4,"result":{"content":[{"type":"text","text":"TIMEOUT: late"}],"isError":true}}"""));
        Assert.Equal(new Reply(4, ReplyKind.Failed), Read("""{"jsonrpc":"2.0","id":4,"error":{"code":-32601,"message":"Method not found"}}"""));
    }

    [Theory]
    [InlineData("""{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":1,"progress":1}}""")]
    [InlineData("""{"jsonrpc":"2.0","id":9,"method":"sampling/createMessage","params":{}}""")]
    [InlineData("""{"jsonrpc":"2.0","result":{}}""")]
    public void NotificationsAndServerRequests_AreNotAnswers(string message)
    {
        Assert.Null(Read(message));
    }

    [Theory]
    [InlineData("event: message")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"result":""")]
    public void MessagesThatAreNotAJsonObject_FailNoRequest(string message)
    {
        Assert.Equal(new Reply(-1, ReplyKind.Failed), Read(message));
    }

    [Fact]
    public void AStringId_HasSequenceMinusOne()
    {
        Assert.Equal(new Reply(-1, ReplyKind.Ok), Read("""{"jsonrpc":"2.0","id":"a","result":{}}"""));
    }
}
