using Akka.Actor;
using Akka.Event;
using Akka.Remote;

namespace PinsDaemon.Fleet.Membership;

/// <summary>
/// Ends this node's actor system (as a downed node's ends, so the daemon exits non-zero and
/// systemd's Restart=on-failure starts it again) once another node says it has quarantined this
/// one. A quarantine is final for this incarnation: the others have removed it and will never
/// talk to it again until it restarts.
/// </summary>
/// <remarks>
/// Without this, a node that was frozen (SIGSTOP, a stalled SD card, a suspended VM) long enough
/// to be downed wakes up with a stale view of the fleet: its own failure detector sees the others
/// go silent one after the other, its split-brain resolver may decide on a partial picture (one
/// of two unreachable: "I am the majority") and down the others in its own view, and it then
/// stays up as a fleet of one, never rejoining. The quarantine notice reaches it on its first
/// contact, before any of that settles.
/// </remarks>
public sealed class QuarantineWatcher : ReceiveActor
{
    public const string ActorName = "quarantine-watcher";

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private bool _stopping;

    public QuarantineWatcher()
    {
        Receive<ThisActorSystemQuarantinedEvent>(HandleQuarantined);
    }

    public static Props Props() => Akka.Actor.Props.Create(() => new QuarantineWatcher());

    protected override void PreStart() => Context.System.EventStream.Subscribe<ThisActorSystemQuarantinedEvent>(Self);

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);

    private void HandleQuarantined(ThisActorSystemQuarantinedEvent quarantined)
    {
        if (_stopping)
        {
            return;
        }

        _stopping = true;
        _log.Warning(
            "Fleet: {0} has removed this node from the fleet and quarantined it (it was unreachable too long); stopping so that the daemon restarts and rejoins",
            quarantined.RemoteAddress);
        _ = CoordinatedShutdown.Get(Context.System).Run(CoordinatedShutdown.ClusterDowningReason.Instance);
    }
}
