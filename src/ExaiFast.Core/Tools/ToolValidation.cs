namespace ExaiFast.Core.Tools;

/// <summary>
/// Result of <see cref="ITool.Validate"/>: the lane to run in and what validation decided on the way (the
/// <paramref name="Plan"/>, such as the route a model-backed tool chose, which the call carries to
/// <see cref="ToolContext.Plan"/> so that nothing is decided twice), or what is wrong with the arguments.
/// </summary>
public readonly record struct ToolValidation(string? Lane, string? Error, object? Plan = null)
{
    /// <summary>Valid; run in <paramref name="lane"/>, with what validation decided for the run.</summary>
    public static ToolValidation RunIn(string lane, object? plan = null) => new(lane, null, plan);

    /// <summary>Invalid arguments; <paramref name="error"/> names the field.</summary>
    public static ToolValidation Invalid(string error) => new(null, error);
}
