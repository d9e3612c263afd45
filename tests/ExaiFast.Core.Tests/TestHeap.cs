namespace ExaiFast.Core.Tests;

/// <summary>
/// A heap for the memory monitor whose reading the test sets, and whose "collection" frees what the test calls
/// garbage: the real heap cannot be steered to a level on demand (the server tests use it with tiny marks instead).
/// </summary>
internal sealed class TestHeap
{
    private long _live;
    private long _garbage;
    private int _collections;

    public long Live
    {
        get => Volatile.Read(ref _live);
        set => Volatile.Write(ref _live, value);
    }

    public long Garbage
    {
        get => Volatile.Read(ref _garbage);
        set => Volatile.Write(ref _garbage, value);
    }

    public int Collections => Volatile.Read(ref _collections);

    public long Read() => Live + Garbage;

    public void Collect()
    {
        Interlocked.Increment(ref _collections);
        Garbage = 0;
    }
}
