namespace ExaiFast.Wire.Tests;

public class MaskingTests
{
    private static readonly byte[] Key = [0xA1, 0x5B, 0x03, 0xFE];

    [Fact]
    public void Apply_MatchesTheScalarDefinition_ForEveryLengthUpTo300_AndEveryStartOffset()
    {
        var random = new Random(42);
        int key = BitConverter.ToInt32(Key);
        for (int length = 0; length <= 300; length++)
        {
            for (int offset = 0; offset < 4; offset++)
            {
                var data = new byte[length];
                random.NextBytes(data);
                var expected = data.Select((b, i) => (byte)(b ^ Key[(i + offset) % 4])).ToArray();
                var actual = (byte[])data.Clone();

                int next = Masking.Apply(actual, key, offset);

                Assert.Equal(expected, actual);
                Assert.Equal((offset + length) % 4, next);
            }
        }
    }

    [Fact]
    public void Apply_InPieces_EqualsApplyWhole()
    {
        var random = new Random(7);
        int key = BitConverter.ToInt32(Key);
        var data = new byte[5000];
        random.NextBytes(data);
        var whole = (byte[])data.Clone();
        Masking.Apply(whole, key, 0);

        var pieces = (byte[])data.Clone();
        int offset = 0, position = 0;
        while (position < pieces.Length)
        {
            int n = Math.Min(random.Next(1, 97), pieces.Length - position);
            offset = Masking.Apply(pieces.AsSpan(position, n), key, offset);
            position += n;
        }

        Assert.Equal(whole, pieces);
    }

    [Fact]
    public void Apply_Twice_RestoresTheInput()
    {
        var data = "Hello, masking!"u8.ToArray();
        var copy = (byte[])data.Clone();
        Masking.Apply(copy, 0x12345678, 0);
        Assert.NotEqual(data, copy);
        Masking.Apply(copy, 0x12345678, 0);
        Assert.Equal(data, copy);
    }
}
