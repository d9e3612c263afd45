namespace ExaiFast.Tools.Schema;

/// <summary>Declares tool arguments: <c>Field.Text("prompt", "What to ask.", required: true, nonBlank: true)</c>.</summary>
internal static class Field
{
    /// <summary>A string; <paramref name="nonBlank"/> refuses one of only white space, <paramref name="oneOf"/> makes it an enum.</summary>
    public static ToolField Text(string name, string description, bool required = false, bool nonBlank = false, int maxLength = int.MaxValue,
        string[]? oneOf = null, string? format = null) =>
        new TextField(name, description, required, nonBlank, maxLength, oneOf, format);

    /// <summary>A <c>continuation_id</c>-style UUID string.</summary>
    public static ToolField Uuid(string name, string description, bool required = false) =>
        new TextField(name, description, required, nonBlank: true, maxLength: 64, oneOf: null, format: "uuid");

    /// <summary>An integer in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static ToolField Integer(string name, string description, long min, long max, bool required = false) =>
        new IntegerField(name, description, required, min, max);

    /// <summary>A number in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static ToolField Number(string name, string description, double min, double max, bool required = false) =>
        new NumberField(name, description, required, min, max);

    /// <summary>true or false.</summary>
    public static ToolField Boolean(string name, string description, bool required = false) =>
        new BooleanField(name, description, required);

    /// <summary>An array of strings (each non-blank when <paramref name="nonBlankItems"/>).</summary>
    public static ToolField TextList(string name, string description, bool required = false, int maxItems = 1000, bool nonBlankItems = false) =>
        new TextListField(name, description, required, maxItems, nonBlankItems);

    /// <summary>An array of objects, each with <paramref name="itemFields"/>.</summary>
    public static ToolField ObjectList(string name, string description, IReadOnlyList<ToolField> itemFields, bool required = false, int minItems = 0, int maxItems = 1000) =>
        new ObjectListField(name, description, required, new ToolFields(itemFields), minItems, maxItems);
}
