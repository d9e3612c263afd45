namespace ExaiFast.Models;

/// <summary>A provider and one of its models.</summary>
/// <param name="Provider">Who serves it.</param>
/// <param name="Model">Which model.</param>
public readonly record struct ModelChoice(IModelProvider Provider, ModelSpec Model)
{
    /// <summary>Whether this deployment takes requests now: its circuit breaker is not open.</summary>
    public bool IsAvailable => Provider.StateOf(Model) != ProviderState.Open;

    /// <inheritdoc />
    public override string ToString() => $"{Provider.Name}/{Model.Name}";
}
