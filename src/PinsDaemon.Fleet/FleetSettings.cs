namespace PinsDaemon.Fleet;

/// <summary>How a node joins the fleet; the host builds it from the validated <c>Fleet:*</c> settings.</summary>
public sealed record FleetSettings
{
    /// <summary>One ActorSystem name everywhere: an address names it, and seeds must match exactly.</summary>
    public const string SystemName = "pinsdaemon";

    /// <summary>Roles are plain identifiers: they go unquoted into HOCON.</summary>
    public const string HostRole = "host";

    public const string ControllerRole = "controller";

    /// <summary>This node's name in rollouts and <c>GET /fleet/hosts</c> (<c>Fleet:NodeName</c>).</summary>
    public required string NodeName { get; init; }

    /// <summary>Whether this node may hold the <see cref="Rollouts.FleetCoordinator"/> (<c>Fleet:Controller</c>).</summary>
    public bool Controller { get; init; }

    /// <summary>What other nodes connect to (an IP or a name they resolve); part of this node's address.</summary>
    public required string PublicHostname { get; init; }

    /// <summary>Where Akka.Remote listens.</summary>
    public required string BindHostname { get; init; }

    /// <summary>0 picks a free port (tests).</summary>
    public int Port { get; init; }

    /// <summary>Full seed addresses (<c>akka.ssl.tcp://pinsdaemon@host:port</c>); empty starts a new fleet with this node.</summary>
    public IReadOnlyList<string> Seeds { get; init; } = [];

    public required string CertificateFile { get; init; }

    public required string KeyFile { get; init; }

    public required string CaFile { get; init; }

    /// <summary>The durable replica of the rollout records and the agent's journal live here.</summary>
    public required string DataDirectory { get; init; }

    public SplitBrainStrategy SplitBrain { get; init; } = SplitBrainStrategy.KeepMajority;

    /// <summary>Membership must be stable this long before the split-brain resolver downs anyone.</summary>
    public TimeSpan StableAfter { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Heartbeats may be missing this long before a node counts as unreachable (Wi-Fi: raise it).</summary>
    public TimeSpan AcceptableHeartbeatPause { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a rebooting host may take to rejoin and report before it counts as failed.</summary>
    public TimeSpan RebootTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long a host whose node left or stopped answering while its job ran is waited for: its
    /// job runs on outside the daemon, so a restarted daemon or a Wi-Fi drop need not fail it.
    /// </summary>
    public TimeSpan RejoinTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How often the coordinator asks a running host how its job is going.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>What the split-brain resolver keeps when the fleet splits.</summary>
public enum SplitBrainStrategy
{
    /// <summary>The side with more members survives; from three nodes on.</summary>
    KeepMajority,

    /// <summary>The side with the oldest controller survives, and it downs itself when left alone: two-node fleets.</summary>
    KeepOldest,
}
