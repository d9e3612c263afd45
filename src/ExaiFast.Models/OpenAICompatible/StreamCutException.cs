namespace ExaiFast.Models.OpenAICompatible;

/// <summary>A server-sent event stream ended (cleanly, at the TCP level) without its <c>[DONE]</c>.</summary>
internal sealed class StreamCutException() : IOException("the stream ended without [DONE]");
