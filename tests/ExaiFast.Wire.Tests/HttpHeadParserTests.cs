using System.Buffers;
using System.Text;
using ExaiFast.Wire.Http;

namespace ExaiFast.Wire.Tests;

public class HttpHeadParserTests
{
    private const string Upgrade =
        "GET /ws?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8079\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat, mcp\r\n\r\n";

    [Fact]
    public void ParsesAnUpgradeRequest_FedWhole_ByteByByte_AndAtEverySplit()
    {
        var bytes = Encoding.ASCII.GetBytes(Upgrade + "trailing frame bytes");
        int headLength = Upgrade.Length;
        var sequences = new List<ReadOnlySequence<byte>> { new(bytes), SegmentedSequence.ByteByByte(bytes) };
        sequences.AddRange(Enumerable.Range(1, headLength).Select(cut => SegmentedSequence.Create(bytes, cut)));
        foreach (var sequence in sequences)
        {
            var status = HttpHeadParser.TryParse(sequence, 8192, out var head, out var consumed, out _);
            Assert.Equal(HttpHeadStatus.Done, status);
            Assert.Equal(headLength, sequence.Slice(0, consumed).Length);
            Assert.Equal("GET", head!.Method);
            Assert.Equal("/ws", head.Path);
            Assert.Equal("x=1", head.Query);
            Assert.Equal(1, head.MinorVersion);
            Assert.Equal("dGhlIHNhbXBsZSBub25jZQ==", head["sec-websocket-key"]);
            Assert.True(head.HeaderContainsToken("Connection", "upgrade"));
            Assert.True(WebSocketHandshake.IsUpgradeRequest(head));
            Assert.True(head.HeaderContainsToken("Sec-WebSocket-Protocol", "mcp"));
            Assert.Null(WebSocketHandshake.Validate(head, _ => false));
        }
    }

    [Fact]
    public void EveryPrefix_IsIncomplete()
    {
        var bytes = Encoding.ASCII.GetBytes(Upgrade);
        for (int n = 0; n < bytes.Length; n++)
        {
            Assert.Equal(HttpHeadStatus.Incomplete, HttpHeadParser.TryParse(new ReadOnlySequence<byte>(bytes, 0, n), 8192, out _, out _, out _));
        }
    }

    [Fact]
    public void HeadsOverTheLimit_AreTooLarge_WithOrWithoutTheirEnd()
    {
        string big = "GET / HTTP/1.1\r\nHost: x\r\nX-Pad: " + new string('a', 9000) + "\r\n\r\n";
        var bytes = Encoding.ASCII.GetBytes(big);
        Assert.Equal(HttpHeadStatus.TooLarge, HttpHeadParser.TryParse(new ReadOnlySequence<byte>(bytes), 8192, out _, out _, out _));
        Assert.Equal(HttpHeadStatus.TooLarge, HttpHeadParser.TryParse(new ReadOnlySequence<byte>(bytes, 0, 8500), 8192, out _, out _, out _));
    }

    [Theory]
    [InlineData("GET\r\n\r\n")]
    [InlineData("GET / HTTP/2.0\r\n\r\n")]
    [InlineData("GET nopath HTTP/1.1\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nNo colon here\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\n folded: continuation\r\n\r\n")]
    [InlineData("G(T / HTTP/1.1\r\n\r\n")]
    public void MalformedHeads_AreBadRequests(string head)
    {
        var status = HttpHeadParser.TryParse(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(head)), 8192, out _, out _, out string? error);
        Assert.Equal(HttpHeadStatus.BadRequest, status);
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void AcceptKey_MatchesRfc6455Example()
    {
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", WebSocketHandshake.ComputeAcceptKey("dGhlIHNhbXBsZSBub25jZQ=="));
    }

    [Theory]
    [InlineData("POST", "HTTP/1.1", "websocket", "Upgrade", "dGhlIHNhbXBsZSBub25jZQ==", "13", null, 405)]
    [InlineData("GET", "HTTP/1.0", "websocket", "Upgrade", "dGhlIHNhbXBsZSBub25jZQ==", "13", null, 400)]
    [InlineData("GET", "HTTP/1.1", null, "Upgrade", "dGhlIHNhbXBsZSBub25jZQ==", "13", null, 426)]
    [InlineData("GET", "HTTP/1.1", "websocket", "keep-alive", "dGhlIHNhbXBsZSBub25jZQ==", "13", null, 400)]
    [InlineData("GET", "HTTP/1.1", "websocket", "Upgrade", "c2hvcnQ=", "13", null, 400)]
    [InlineData("GET", "HTTP/1.1", "websocket", "Upgrade", null, "13", null, 400)]
    [InlineData("GET", "HTTP/1.1", "websocket", "Upgrade", "dGhlIHNhbXBsZSBub25jZQ==", "8", null, 426)]
    [InlineData("GET", "HTTP/1.1", "websocket", "Upgrade", "dGhlIHNhbXBsZSBub25jZQ==", "13", "https://evil.example", 403)]
    public void Validate_RejectsBadUpgrades_WithTheRightStatus(string method, string version, string? upgrade, string connection, string? key, string wsVersion, string? origin, int status)
    {
        var sb = new StringBuilder($"{method} / {version}\r\nHost: h\r\nConnection: {connection}\r\nSec-WebSocket-Version: {wsVersion}\r\n");
        if (upgrade is not null)
        {
            sb.Append($"Upgrade: {upgrade}\r\n");
        }

        if (key is not null)
        {
            sb.Append($"Sec-WebSocket-Key: {key}\r\n");
        }

        if (origin is not null)
        {
            sb.Append($"Origin: {origin}\r\n");
        }

        sb.Append("\r\n");
        HttpHeadParser.TryParse(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(sb.ToString())), 8192, out var head, out _, out _);
        Assert.Equal(status, WebSocketHandshake.Validate(head!, o => o == "http://ok")!.StatusCode);
    }
}
