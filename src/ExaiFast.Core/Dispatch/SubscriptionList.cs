using ExaiFast.Core.Calls;

namespace ExaiFast.Core.Dispatch;

/// <summary>
/// The subscriptions of one execution, the first stored inline: a call with one requester — nearly every call —
/// allocates nothing for them. Order is not kept (removal moves the last entry into the gap).
/// </summary>
/// <remarks>A mutable struct, not thread-safe: it lives in a field of <see cref="ToolCall"/>, which guards it.</remarks>
internal struct SubscriptionList
{
    private Subscription _first;
    private Subscription[]? _rest;
    private int _count;

    public readonly int Count => _count;

    public readonly Subscription this[int index] => index == 0 ? _first : _rest![index - 1];

    public void Add(Subscription subscription)
    {
        if (_count == 0)
        {
            _first = subscription;
        }
        else
        {
            _rest ??= new Subscription[2];
            if (_count - 1 == _rest.Length)
            {
                Array.Resize(ref _rest, _rest.Length * 2);
            }

            _rest[_count - 1] = subscription;
        }

        _count++;
    }

    public void Set(int index, Subscription subscription)
    {
        if (index == 0)
        {
            _first = subscription;
        }
        else
        {
            _rest![index - 1] = subscription;
        }
    }

    public void RemoveAt(int index)
    {
        int last = _count - 1;
        if (index != last)
        {
            Set(index, this[last]);
        }

        Set(last, default);
        _count--;
    }

    public readonly int IndexOfKey(CallKey key, int start = 0)
    {
        for (int i = start; i < _count; i++)
        {
            if (this[i].Key == key)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Whether entry <paramref name="index"/> is the first with its key (to visit each key once).</summary>
    public readonly bool IsFirstOfKey(int index) => IndexOfKey(this[index].Key) == index;

    public readonly int DistinctKeys()
    {
        int n = 0;
        for (int i = 0; i < _count; i++)
        {
            n += IsFirstOfKey(i) ? 1 : 0;
        }

        return n;
    }
}
