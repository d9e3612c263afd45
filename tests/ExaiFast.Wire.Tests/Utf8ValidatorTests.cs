using System.Text;
using System.Text.Unicode;

namespace ExaiFast.Wire.Tests;

public class Utf8ValidatorTests
{
    // Autobahn section 6 style samples: valid text, and sequences that must fail.
    public static TheoryData<string> Valid => new()
    {
        "", "Hello-µ@ßöäüàá-UTF-8!!", "κόσμε", "\u0080", "\u07FF", "\u0800", "\uFFFF", "\U00010000", "\U0010FFFF", "\uD7FF\uE000\uFFFD",
        "𝄞 music and emoji 😀 together", new string('a', 300) + "é" + new string('b', 40),
    };

    public static TheoryData<byte[]> Invalid => new()
    {
        new byte[] { 0x80 }, new byte[] { 0xBF }, new byte[] { 0xC0, 0x80 }, new byte[] { 0xC1, 0xBF }, // lone continuation, overlong 2-byte
        new byte[] { 0xE0, 0x80, 0x80 }, new byte[] { 0xE0, 0x9F, 0xBF },                             // overlong 3-byte
        new byte[] { 0xED, 0xA0, 0x80 }, new byte[] { 0xED, 0xBF, 0xBF },                             // UTF-16 surrogates
        new byte[] { 0xF0, 0x80, 0x80, 0x80 }, new byte[] { 0xF0, 0x8F, 0xBF, 0xBF },                 // overlong 4-byte
        new byte[] { 0xF4, 0x90, 0x80, 0x80 }, new byte[] { 0xF5, 0x80, 0x80, 0x80 },                 // > U+10FFFF
        new byte[] { 0xF8, 0x88, 0x80, 0x80, 0x80 }, new byte[] { 0xFE }, new byte[] { 0xFF },
        new byte[] { 0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCF, 0x83, 0xCE, 0xBC, 0xCE, 0xB5, 0xED, 0xA0, 0x80, 0x65, 0x64, 0x69, 0x74, 0x65, 0x64 },
        new byte[] { 0x41, 0xC2 }, new byte[] { 0xE2, 0x82 }, new byte[] { 0xF0, 0x9F, 0x98 },       // truncated at the end
        new byte[] { 0xC2, 0x41 }, new byte[] { 0xE2, 0x41, 0x82 },                                  // lead followed by ASCII
    };

    [Theory]
    [MemberData(nameof(Valid))]
    public void ValidText_PassesWhole_AndSplitAtEveryPosition(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        for (int cut = 0; cut <= bytes.Length; cut++)
        {
            var v = new Utf8Validator();
            Assert.True(v.TryConsume(bytes.AsSpan(0, cut)));
            Assert.True(v.TryConsume(bytes.AsSpan(cut)));
            Assert.True(v.IsComplete);
        }

        var byteWise = new Utf8Validator();
        foreach (byte b in bytes)
        {
            Assert.True(byteWise.TryConsume([b]));
        }

        Assert.True(byteWise.IsComplete);
    }

    [Theory]
    [MemberData(nameof(Invalid))]
    public void InvalidBytes_FailOrStayIncomplete_HoweverTheyAreSplit(byte[] bytes)
    {
        Assert.False(Utf8.IsValid(bytes)); // the reference agrees these are invalid
        for (int cut = 0; cut <= bytes.Length; cut++)
        {
            for (int cut2 = cut; cut2 <= bytes.Length; cut2++)
            {
                var v = new Utf8Validator();
                bool ok = v.TryConsume(bytes.AsSpan(0, cut)) && v.TryConsume(bytes.AsSpan(cut, cut2 - cut)) && v.TryConsume(bytes.AsSpan(cut2));
                Assert.False(ok && v.IsComplete, $"accepted when split at {cut},{cut2}");
            }
        }
    }

    [Fact]
    public void FailsFast_AtTheFirstImpossibleByte_BeforeTheSequenceIsComplete()
    {
        var v = new Utf8Validator();
        Assert.True(v.TryConsume("abc"u8));
        Assert.True(v.TryConsume([0xF4]));      // could still be U+100000..U+10FFFF
        Assert.False(v.TryConsume([0x90]));     // now it can only be > U+10FFFF: fail without waiting for the rest
    }

    [Fact]
    public void AgreesWithTheBcl_OnRandomBytes_SplitRandomly()
    {
        var random = new Random(1234);
        for (int i = 0; i < 5000; i++)
        {
            var bytes = new byte[random.Next(0, 24)];
            random.NextBytes(bytes);
            if (random.Next(2) == 0)
            {
                // bias towards plausible UTF-8 so that valid inputs are common too
                bytes = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(bytes));
            }

            var v = new Utf8Validator();
            int position = 0;
            bool ok = true;
            while (ok && position < bytes.Length)
            {
                int n = random.Next(1, 5);
                n = Math.Min(n, bytes.Length - position);
                ok = v.TryConsume(bytes.AsSpan(position, n));
                position += n;
            }

            Assert.Equal(Utf8.IsValid(bytes), ok && v.IsComplete);
        }
    }
}
