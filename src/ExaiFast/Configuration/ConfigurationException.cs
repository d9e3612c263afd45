namespace ExaiFast.Configuration;

/// <summary>A setting with a bad value. <see cref="Exception.Message"/> is the one line printed before exit code 2.</summary>
/// <remarks>Secret values never appear in the message (see <see cref="SettingDefinition.IsSecret"/>).</remarks>
public sealed class ConfigurationException : Exception
{
    /// <summary>Creates the exception with the complete one-line message.</summary>
    public ConfigurationException(string message)
        : base(message)
    {
    }
}
