namespace KestrelExai;

/// <summary>
/// The answer of <c>--fixed-answer</c>: the minimal daemon, which does no tool work, still sends a result frame of
/// the size the local model's answer has for the generator's 32-character prompt (172 characters), so the bytes on
/// the wire stay comparable and only the work differs.
/// </summary>
internal static class FixedAnswer
{
    public static ReadOnlySpan<byte> Text =>
        "[fixed answer — the minimal baseline does no tool work: no word count, no digest, no excerpt of the prompt. Every call gets these same bytes, as long as the local answers.]"u8;
}
