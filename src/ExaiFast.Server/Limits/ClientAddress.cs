using System.Net;

namespace ExaiFast.Server.Limits;

/// <summary>The key a client address is counted under by the per-address limits.</summary>
internal static class ClientAddress
{
    /// <summary>Whether <paramref name="key"/> (from <see cref="KeyOf"/>) is left out of the per-address limits: loopback,
    /// unless the operator asked for it to be limited too.</summary>
    public static bool IsExempt(IPAddress key, bool limitLoopback) => !limitLoopback && IPAddress.IsLoopback(key);

    /// <summary>Whether the per-address limits can apply at all to a daemon listening on <paramref name="host"/>: not when
    /// it listens on loopback only and loopback is exempt. Then no bucket, and no bucket timer (ten wake-ups a second
    /// of an idle daemon), is made.</summary>
    public static bool CanLimit(string host, bool limitLoopback)
    {
        string h = host.Trim();
        return limitLoopback || !(h == "localhost" || (IPAddress.TryParse(h.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address)));
    }

    /// <summary>IPv4 as it is (an IPv4-mapped IPv6 address as its IPv4); IPv6 by its /64: one subscriber usually holds a
    /// whole /64, and a key per address would let it take a fresh bucket per connection.</summary>
    public static IPAddress KeyOf(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            return address;
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes);
    }
}
