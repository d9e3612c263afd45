using System.Text;

namespace ExaiFast.Server.Tests;

/// <summary>What the doors take for Unicode text before they parse it: UTF-8 whose <c>\u</c> escapes spell whole code points.</summary>
public class JsonUnicodeTests
{
    [Fact]
    public void AMessageIsUnicode_OnlyWhenEveryEscapeSpellsAWholeCodePoint()
    {
        foreach (string ok in new[] { "{}", """{"a":"\n\"\\u\\"}""", """{"a":"\ud83d\ude00"}""", """{"a":"\\ud800"}""", """{"a":"\u00e9\uFFFF"}""", """["\uDBFF\uDFFF"]""" })
        {
            Assert.True(JsonUnicode.IsValid(Encoding.UTF8.GetBytes(ok)), ok);
        }

        foreach (string bad in new[] { """["\ud800"]""", """["\udc00"]""", """["\ud800\u0041"]""", """["\ud83d\ud83d"]""", """{"\uDBFF":1}""", """["\\\ud800"]""", """["x\ud800""" })
        {
            Assert.False(JsonUnicode.IsValid(Encoding.UTF8.GetBytes(bad)), bad);
        }

        Assert.False(JsonUnicode.IsValid([(byte)'"', 0xFF, (byte)'"']));
    }
}
