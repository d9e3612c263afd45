namespace ExaiFast.Core.Tools;

/// <summary>What a <see cref="ContentItem"/> carries: the MCP content block types a tool result may hold.</summary>
public enum ContentKind
{
    /// <summary><c>{"type":"text","text"}</c>.</summary>
    Text,

    /// <summary><c>{"type":"image","data","mimeType"}</c>, data in base64.</summary>
    Image,

    /// <summary><c>{"type":"audio","data","mimeType"}</c>, data in base64.</summary>
    Audio,

    /// <summary><c>{"type":"resource","resource":{"uri","mimeType","text"|"blob"}}</c>: an embedded resource.</summary>
    Resource,
}
