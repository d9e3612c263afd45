namespace ExaiFast.Wire.Tests;

public class CloseCodesTests
{
    [Fact]
    public void ValidPeerCodes_AreExactlyThoseRfc6455AndAutobahnAllow()
    {
        int[] valid = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999];
        int[] invalid = [0, 999, 1004, 1005, 1006, 1012, 1013, 1014, 1015, 1016, 1100, 2000, 2999, 5000, 65535];
        Assert.All(valid, c => Assert.True(CloseCodes.IsValidFromPeer(c), c.ToString()));
        Assert.All(invalid, c => Assert.False(CloseCodes.IsValidFromPeer(c), c.ToString()));
    }

    [Fact]
    public void CloseBody_IsCodeThenReason_TruncatedTo125Bytes()
    {
        var buffer = new byte[125];
        int n = FrameWriter.WriteCloseBody(buffer, 1001, new string('x', 500));
        Assert.Equal(125, n);
        Assert.Equal(0x03, buffer[0]);
        Assert.Equal(0xE9, buffer[1]);
        Assert.Equal((byte)'x', buffer[124]);
    }
}
