namespace ExaiFast.Configuration;

/// <summary>Settings with bad values. <see cref="Problems"/> are the lines printed before exit code 2, one per problem.</summary>
/// <remarks>Secret values never appear in the message (see <see cref="SettingDefinition.IsSecret"/>).</remarks>
internal sealed class ConfigurationException : Exception
{
    /// <summary>Creates the exception for one problem.</summary>
    public ConfigurationException(string message)
        : this([message])
    {
    }

    /// <summary>Creates the exception for every problem found; the message is their lines.</summary>
    public ConfigurationException(IReadOnlyList<string> problems)
        : base(string.Join('\n', problems))
    {
        Problems = problems;
    }

    /// <summary>One line per problem.</summary>
    public IReadOnlyList<string> Problems { get; }
}
