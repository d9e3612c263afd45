namespace ExaiFast.Load;

/// <summary>The answer to request <paramref name="Sequence"/>, and how it ended.</summary>
internal readonly record struct Reply(long Sequence, ReplyKind Kind)
{
    public static Reply Closed => new(-1, ReplyKind.Closed);
}
