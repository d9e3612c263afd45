using System.Text;
using System.Text.Json;

namespace ExaiFast.Load.Tests;

public class RequestTemplateTests
{
    private static string Write(RequestTemplate template, long sequence)
    {
        var buffer = new byte[template.MaxLength];
        return Encoding.UTF8.GetString(buffer, 0, template.Write(sequence, buffer));
    }

    [Fact]
    public void CallTool_IsTheExaiWsFrame_WithTheNumberAsRequestId()
    {
        Assert.Equal("""{"op":"call_tool","name":"chat","request_id":"42","arguments":{"prompt":"xxxx"}}""", Write(RequestTemplate.CallTool(4), 42));
    }

    [Fact]
    public void CallTool_WithToolLatency_AddsLocalLatencyMs()
    {
        Assert.Equal("""{"op":"call_tool","name":"chat","request_id":"7","arguments":{"prompt":"x","local_latency_ms":10}}""", Write(RequestTemplate.CallTool(1, 10), 7));
    }

    [Fact]
    public void CallTool_WithAnArgument_AddsItAsTheArgumentsLastMember()
    {
        var template = RequestTemplate.CallTool(2, 5);
        var buffer = new byte[template.MaxLength + 64];
        int n = template.Write(9, buffer, ",\"continuation_id\":\"t1\""u8);
        Assert.Equal("""{"op":"call_tool","name":"chat","request_id":"9","arguments":{"prompt":"xx","local_latency_ms":5,"continuation_id":"t1"}}""", Encoding.UTF8.GetString(buffer, 0, n));
        Assert.Equal(Write(template, 9), Encoding.UTF8.GetString(buffer, 0, template.Write(9, buffer, default))); // none: as before
    }

    [Fact]
    public void Ping_CarriesTheNumberAsRequestId()
    {
        Assert.Equal("""{"op":"ping","request_id":"0"}""", Write(RequestTemplate.Ping(), 0));
    }

    [Fact]
    public void McpToolsCall_IsJsonRpcWithANumericId()
    {
        string text = Write(RequestTemplate.McpToolsCall(3), 123);
        Assert.Equal("""{"jsonrpc":"2.0","method":"tools/call","id":123,"params":{"name":"chat","arguments":{"prompt":"xxx"}}}""", text);
        using var document = JsonDocument.Parse(text);
        Assert.Equal(123, document.RootElement.GetProperty("id").GetInt64());
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(long.MaxValue)]
    [InlineData(long.MinValue)]
    public void Write_FitsMaxLength_ForEveryLong(long sequence)
    {
        foreach (var template in new[] { RequestTemplate.CallTool(32), RequestTemplate.Ping(), RequestTemplate.McpToolsCall(32) })
        {
            using var document = JsonDocument.Parse(Write(template, sequence));
            Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
        }
    }

    [Fact]
    public void Prompt_HasTheAskedLength_AndAtLeastOneCharacter()
    {
        Assert.Equal(32, RequestTemplate.Prompt(32).Length);
        Assert.Equal("x", RequestTemplate.Prompt(0));
    }
}
