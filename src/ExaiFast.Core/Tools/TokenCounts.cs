namespace ExaiFast.Core.Tools;

/// <summary>The tokens a call's model request read and wrote, as its provider reported them.</summary>
public readonly record struct TokenCounts(long InputTokens, long OutputTokens);
