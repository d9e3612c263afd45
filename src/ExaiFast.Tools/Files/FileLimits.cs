namespace ExaiFast.Tools.Files;

/// <summary>What the tools may read from disk for a call's <c>files</c> (settings <c>EXAIFAST_FILE_MAX_KB</c>,
/// <c>EXAIFAST_FILES_MAX_KB</c>, <c>EXAIFAST_FILE_ROOTS</c>).</summary>
public sealed record FileLimits
{
    /// <summary>Largest file read, in bytes.</summary>
    public long MaxFileBytes { get; init; } = 512 << 10;

    /// <summary>Most bytes read for one call, all files together.</summary>
    public long MaxTotalBytes { get; init; } = 2 << 20;

    /// <summary>Most files named in one call.</summary>
    public int MaxFiles { get; init; } = 100;

    /// <summary>Directories files must be under (full paths); empty: any absolute path the daemon can read.</summary>
    public IReadOnlyList<string> Roots { get; init; } = [];
}
