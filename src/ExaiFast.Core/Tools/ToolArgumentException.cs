namespace ExaiFast.Core.Tools;

/// <summary>Thrown by a tool when arguments are wrong in a way only execution discovers; becomes INVALID_ARGUMENTS.</summary>
public sealed class ToolArgumentException(string message) : Exception(message);
