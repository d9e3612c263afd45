using System.Text;
using ExaiFast.Server.Mcp;
using ExaiFast.Server.WebSockets;

namespace ExaiFast.Server.Tests.Mcp;

/// <summary>The JSON-RPC envelope every MCP answer is written in, byte for byte: clients and the tests of the doors
/// compare these frames as they are sent.</summary>
public class McpEnvelopeTests
{
    private static string Text(PooledBuffer buffer)
    {
        try
        {
            return Encoding.UTF8.GetString(buffer.Span);
        }
        finally
        {
            buffer.Return();
        }
    }

    [Fact]
    public void AnError_WithoutData_HasNoDataMember_AndAnUnreadableIdIsNull()
    {
        Assert.Equal("""{"jsonrpc":"2.0","id":"r-1","error":{"code":-32601,"message":"Method not found: x"}}""",
            Text(McpMessages.Error("\"r-1\"", McpMessages.MethodNotFound, "Method not found: x")));
        Assert.Equal("""{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}""",
            Text(McpMessages.Error(null, McpMessages.ParseError, "Parse error")));
    }

    [Fact]
    public void AnErrorsData_AndAResultsMembers_GoInsideTheirObjects()
    {
        Assert.Equal("""{"jsonrpc":"2.0","id":7,"error":{"code":-32022,"message":"no","data":{"supported":["2026-07-28"],"requested":"1999-01-01"}}}""",
            Text(McpMessages.UnsupportedVersion("7", "1999-01-01", "no")));
        Assert.Equal("""{"jsonrpc":"2.0","id":3,"result":{}}""", Text(McpMessages.EmptyResult("3")));
        Assert.Equal(
            """{"jsonrpc":"2.0","id":3,"result":{"resultType":"complete","_meta":{"io.modelcontextprotocol/serverInfo":{"name":"exaifast","version":""" +
            $"\"{ServerInfo.Version}\"" + "}}}}",
            Text(McpMessages.Done("3")));
    }
}
