using System.Text.Json;
using ExaiFast.Core.Calls;
using ExaiFast.Core.Tools;

namespace ExaiFast.Server;

/// <summary>
/// A successful result's items as MCP content blocks: the MCP <c>tools/call</c> <c>content</c> array and the exai-ws
/// <c>outputs</c> array are the same list.
/// </summary>
internal static class ContentJson
{
    /// <summary>
    /// Writes the array <paramref name="name"/>: one text item, or every item of <see cref="CallResult.Content"/>; with
    /// <paramref name="offerContinuation"/>, a last text item naming the result's <c>continuation_id</c>.
    /// </summary>
    /// <remarks>MCP asks for the offer: the client's model reads only the content, and must see the id to continue the
    /// conversation; exai-ws clients have it at the top level, and their <c>text</c> stays the answer alone.</remarks>
    public static void Write(Utf8JsonWriter json, ReadOnlySpan<byte> name, CallResult result, bool offerContinuation = false)
    {
        json.WriteStartArray(name);
        if (result.Content is not { } items)
        {
            WriteText(json, result.Text ?? string.Empty); // the hot path: one text, nothing allocated
        }
        else
        {
            for (int i = 0; i < items.Count; i++)
            {
                WriteItem(json, items[i]);
            }
        }

        if (offerContinuation && result.ContinuationId is { } thread)
        {
            WriteText(json, ContinuationOffer(thread));
        }

        json.WriteEndArray();
    }

    /// <summary>The last text item of an MCP answer with a thread: the id the client's model must see to continue it.</summary>
    public static string ContinuationOffer(string thread) =>
        $"continuation_id: {thread} (pass it as continuation_id to continue this conversation with its history)";

    /// <summary>Writes one text item (also used for a failure's <c>CODE: message</c>).</summary>
    public static void WriteText(Utf8JsonWriter json, string text)
    {
        json.WriteStartObject();
        json.WriteString("type"u8, "text");
        json.WriteString("text"u8, text);
        json.WriteEndObject();
    }

    private static void WriteItem(Utf8JsonWriter json, ContentItem item)
    {
        switch (item.Kind)
        {
            case ContentKind.Text:
                WriteText(json, item.Text!);
                return;
            case ContentKind.Image or ContentKind.Audio:
                json.WriteStartObject();
                json.WriteString("type"u8, item.Kind == ContentKind.Image ? "image"u8 : "audio"u8);
                json.WriteString("data"u8, item.Data);
                json.WriteString("mimeType"u8, item.MimeType);
                json.WriteEndObject();
                return;
            case ContentKind.Resource:
                json.WriteStartObject();
                json.WriteString("type"u8, "resource"u8);
                json.WriteStartObject("resource"u8);
                json.WriteString("uri"u8, item.Uri);
                json.WriteString("mimeType"u8, item.MimeType);
                if (item.Text is { } text)
                {
                    json.WriteString("text"u8, text);
                }
                else
                {
                    json.WriteString("blob"u8, item.Data);
                }

                json.WriteEndObject();
                json.WriteEndObject();
                return;
            default:
                throw new InvalidOperationException($"unknown content kind {item.Kind}");
        }
    }
}
