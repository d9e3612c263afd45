namespace ExaiFast.Core.Dispatch;

/// <summary>A SHA-256 of (caller, tool, canonical arguments): the identity of a call for single-flight. No string.</summary>
internal readonly record struct FlightKey(UInt128 High, UInt128 Low);
