using System.Buffers.Text;

namespace ExaiFast.Core.Tools;

/// <summary>
/// One item of a tool's output beyond plain text: text, an image, audio, or an embedded resource — the MCP
/// <c>tools/call</c> content blocks, also sent as exai-ws <c>outputs</c>. Built only through the factories, which check
/// that base64 is base64, so a malformed item fails in the tool rather than in a client.
/// </summary>
/// <remarks>Immutable. Most tools never need it: a single text result is <see cref="ToolOutput.Text"/> alone.</remarks>
public sealed record ContentItem
{
    private ContentItem(ContentKind kind, string? text, string? data, string? mimeType, string? uri)
    {
        Kind = kind;
        Text = text;
        Data = data;
        MimeType = mimeType;
        Uri = uri;
    }

    /// <summary>Which kind of item.</summary>
    public ContentKind Kind { get; }

    /// <summary>The text of a text item, or of an embedded text resource.</summary>
    public string? Text { get; }

    /// <summary>The base64 data of an image or audio item, or the blob of an embedded binary resource.</summary>
    public string? Data { get; }

    /// <summary>The MIME type (image, audio, resource).</summary>
    public string? MimeType { get; }

    /// <summary>The URI of an embedded resource.</summary>
    public string? Uri { get; }

    /// <summary>A text item.</summary>
    public static ContentItem FromText(string text) => new(ContentKind.Text, text ?? throw new ArgumentNullException(nameof(text)), null, null, null);

    /// <summary>An image, <paramref name="base64"/>-encoded, e.g. <c>image/png</c>.</summary>
    public static ContentItem FromImage(string base64, string mimeType) => new(ContentKind.Image, null, CheckBase64(base64), CheckMime(mimeType), null);

    /// <summary>Audio, <paramref name="base64"/>-encoded, e.g. <c>audio/wav</c>.</summary>
    public static ContentItem FromAudio(string base64, string mimeType) => new(ContentKind.Audio, null, CheckBase64(base64), CheckMime(mimeType), null);

    /// <summary>An embedded text resource.</summary>
    public static ContentItem FromResourceText(string uri, string mimeType, string text) =>
        new(ContentKind.Resource, text ?? throw new ArgumentNullException(nameof(text)), null, CheckMime(mimeType), CheckUri(uri));

    /// <summary>An embedded binary resource, <paramref name="base64"/>-encoded.</summary>
    public static ContentItem FromResourceBlob(string uri, string mimeType, string base64) =>
        new(ContentKind.Resource, null, CheckBase64(base64), CheckMime(mimeType), CheckUri(uri));

    private static string CheckBase64(string base64) =>
        base64 is not null && Base64.IsValid(base64) ? base64 : throw new ArgumentException("not base64", nameof(base64));

    private static string CheckMime(string mimeType) =>
        !string.IsNullOrWhiteSpace(mimeType) && mimeType.Contains('/') ? mimeType : throw new ArgumentException("not a MIME type", nameof(mimeType));

    private static string CheckUri(string uri) =>
        System.Uri.TryCreate(uri, UriKind.Absolute, out _) ? uri : throw new ArgumentException("not an absolute URI", nameof(uri));
}
