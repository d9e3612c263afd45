namespace ExaiFast.Models;

/// <summary>
/// The allow-list a provider serves under (<c>KIMI_ALLOWED_MODELS</c>, …): the models of its catalogue the list leaves
/// out, kept so that a call naming one is told why it is refused instead of being told the model does not exist.
/// </summary>
/// <param name="Setting">The setting that holds the list, named in refusals and in listmodels.</param>
/// <param name="Hidden">The catalogue's models the list leaves out, in catalogue order.</param>
public sealed record ModelAllowList(string Setting, IReadOnlyList<ModelSpec> Hidden);
