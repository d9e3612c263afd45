namespace ExaiFast.Testing;

/// <summary>A server could not bind the port <see cref="FreePort.Next"/> gave: another process took it first.</summary>
public sealed class PortTakenException(string message) : Exception(message);
