using Akka.DistributedData;
using PinsDaemon.Fleet.Rollouts;

namespace PinsDaemon.Fleet.Replication;

/// <summary>
/// The replicated keys of the rollouts, all durable (<see cref="DurablePattern"/>): the index of
/// rollout ids, one record per rollout (last writer wins; the coordinator is the one writer), and
/// per rollout the grow-only set of hosts recorded as dispatched, which no stale write can shrink.
/// </summary>
public static class RolloutKeys
{
    /// <summary>Every key below starts with this; DistributedData's durable-keys syntax.</summary>
    public const string DurablePattern = "rollout*";

    private const string DispatchedSuffix = "-dispatched";

    public static readonly ORSetKey<string> Index = new("rollouts");

    public static string RecordName(string rolloutId) => $"rollout-{rolloutId}";

    public static string DispatchedName(string rolloutId) => $"rollout-{rolloutId}{DispatchedSuffix}";

    public static LWWRegisterKey<RolloutRecord> Record(string rolloutId) => new(RecordName(rolloutId));

    public static GSetKey<string> Dispatched(string rolloutId) => new(DispatchedName(rolloutId));

    public static bool IsDispatchedName(string name) => name.EndsWith(DispatchedSuffix, StringComparison.Ordinal);

    public static string RolloutIdOf(string name)
    {
        var id = name["rollout-".Length..];
        return IsDispatchedName(id) ? id[..^DispatchedSuffix.Length] : id;
    }
}
