using ExaiFast.Tools.Threads;

namespace ExaiFast.Tools.Tests.Threads;

/// <summary>
/// Thread ids cut from blocks of randomness: every one distinct across many blocks and threads, each a well-formed
/// random (version 4, RFC 9562 variant) GUID, as <see cref="Guid.NewGuid"/> made them.
/// </summary>
public class ThreadIdsTests
{
    [Fact]
    public async Task New_IsDistinct_AcrossBlocksAndThreads()
    {
        const int PerThread = 5_000; // about 20 blocks of 256 ids each
        var perThread = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            var ids = new Guid[PerThread];
            for (int i = 0; i < ids.Length; i++)
            {
                ids[i] = ThreadIds.New();
            }

            return ids;
        })));

        var all = perThread.SelectMany(ids => ids).ToArray();
        Assert.Equal(all.Length, all.Distinct().Count());
        Assert.DoesNotContain(Guid.Empty, all);
    }

    [Fact]
    public void New_IsARandomVersion4Guid()
    {
        for (int i = 0; i < 1_000; i++)
        {
            string text = ThreadIds.New().ToString();
            Assert.Equal('4', text[14]); // xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx
            Assert.Contains(text[19], "89ab");
            Assert.Equal(4, Guid.Parse(text).Version);
        }
    }
}
