namespace ExaiFast.Hosting;

/// <summary>
/// Where <c>serve</c> keeps its PID file and <c>stdio --autostart</c> its start lock: <c>$XDG_RUNTIME_DIR</c> (private
/// to the user, emptied at logout) when set, else the temp directory. Both commands resolve it the same way, so that a
/// bridge and the daemon it starts (which inherits the bridge's environment) meet in one place.
/// </summary>
internal static class RuntimeDirectory
{
    /// <summary>The directory for <paramref name="environment"/>.</summary>
    public static string Resolve(IReadOnlyDictionary<string, string> environment) =>
        environment.GetValueOrDefault("XDG_RUNTIME_DIR") is { Length: > 0 } dir && Path.IsPathFullyQualified(dir) ? dir : Path.GetTempPath();

    /// <summary>The PID file of the daemon serving <paramref name="port"/>.</summary>
    public static string PidFile(IReadOnlyDictionary<string, string> environment, int port) =>
        Path.Combine(Resolve(environment), $"exaifast-{port}.pid");

    /// <summary>The lock bridges take while one of them starts the daemon for <paramref name="port"/>.</summary>
    public static string StartLock(IReadOnlyDictionary<string, string> environment, int port) =>
        Path.Combine(Resolve(environment), $"exaifast-{port}.lock");
}
