using Microsoft.Extensions.ObjectPool;

namespace ExaiFast.Core.Dispatch;

/// <summary>Pools calls' token sources; <see cref="Dispatcher.ReturnCancellation"/> resets them before they come back.</summary>
internal sealed class CancellationSourcePolicy : PooledObjectPolicy<CancellationTokenSource>
{
    public override CancellationTokenSource Create() => new();

    public override bool Return(CancellationTokenSource obj) => true;
}
