namespace ExaiFast.Core.Tools;

/// <summary>Result of <see cref="ITool.Validate"/>: the lane to run in, or what is wrong with the arguments.</summary>
public readonly record struct ToolValidation(string? Lane, string? Error)
{
    /// <summary>Valid; run in <paramref name="lane"/>.</summary>
    public static ToolValidation RunIn(string lane) => new(lane, null);

    /// <summary>Invalid arguments; <paramref name="error"/> names the field.</summary>
    public static ToolValidation Invalid(string error) => new(null, error);
}
