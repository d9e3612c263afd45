using System.Text.Json.Serialization;
using ExaiFast.Tools.Threads;

namespace ExaiFast.Redis;

/// <summary>What goes into Redis as JSON, serialised by source-generated code (no reflection, trimming-safe).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(ThreadTurn))]
[JsonSerializable(typeof(StoredResult))]
internal sealed partial class RedisJson : JsonSerializerContext;
