using System.Text.Encodings.Web;
using System.Text.Json;
using ExaiFast.Configuration;

namespace ExaiFast.Cli;

/// <summary>
/// <c>check-config --json</c>: <c>{"valid", "env_file", "settings": [{"name", "flag", "value", "source", "origin", "secret"}], "problems": [...]}</c>.
/// </summary>
/// <remarks>Written with <see cref="Utf8JsonWriter"/>: no reflection, so the native binary prints it too.</remarks>
internal static class ConfigurationJson
{
    public static void Write(ConfigurationCheck check, TextWriter output)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteBoolean("valid", check.IsValid);
            json.WriteString("env_file", check.EnvFile);
            json.WriteStartArray("settings");
            foreach (var entry in check.Entries)
            {
                json.WriteStartObject();
                json.WriteString("name", entry.Definition.Key);
                json.WriteString("flag", entry.Definition.Flag);
                json.WriteString("value", entry.Shown);
                json.WriteString("source", ConfigurationText.SourceName(entry.Source));
                json.WriteString("origin", entry.Origin);
                json.WriteBoolean("secret", entry.Definition.IsSecret);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("problems");
            foreach (string problem in check.Problems)
            {
                json.WriteStringValue(problem);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        output.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
    }
}
