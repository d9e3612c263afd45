namespace ExaiFast.Server.Http;

/// <summary>The built-in status endpoints.</summary>
internal enum StatusRoute : byte
{
    /// <summary><c>/health</c>: liveness JSON.</summary>
    Health,
    /// <summary><c>/ready</c>: readiness JSON, 503 while not ready.</summary>
    Ready,
    /// <summary><c>/metrics</c>: Prometheus text exposition.</summary>
    Metrics,
}
