namespace ExaiFast.Server.Limits;

/// <summary>Where a <see cref="CountedBucket"/> reports its birth and its end.</summary>
internal interface IPartitionCount
{
    void Created();

    void Disposed();
}
