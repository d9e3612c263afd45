using System.Reflection;

namespace ExaiFast.Server;

/// <summary>Name and version the daemon reports.</summary>
internal static class ServerInfo
{
    /// <summary>The server name in handshakes and health.</summary>
    public const string Name = "exaifast";

    /// <summary>The informational version of the running build.</summary>
    public static string Version { get; } =
        (Assembly.GetEntryAssembly() ?? typeof(ServerInfo).Assembly).GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion?.Split('+')[0]
        ?? "0.0.0";
}
