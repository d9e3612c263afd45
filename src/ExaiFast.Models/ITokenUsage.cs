namespace ExaiFast.Models;

/// <summary>What the models have used since the daemon started (the metrics count it), for the <c>status</c> tool.</summary>
public interface ITokenUsage
{
    /// <summary>Tokens per provider and model, by provider then model.</summary>
    IReadOnlyList<ModelTokens> SinceStart();
}
