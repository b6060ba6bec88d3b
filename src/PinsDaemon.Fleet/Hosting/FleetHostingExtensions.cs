using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.Event;
using Akka.Hosting;
using Akka.Remote.Hosting;
using PinsDaemon.Actors.Jobs;
using PinsDaemon.Fleet.Agents;
using PinsDaemon.Fleet.Membership;
using PinsDaemon.Fleet.Replication;
using PinsDaemon.Fleet.Rollouts;
using PinsDaemon.Fleet.Security;
using PinsDaemon.Fleet.Serialization;

namespace PinsDaemon.Fleet.Hosting;

/// <summary>Turns an Akka.Hosting actor system into a fleet node. Called only when <c>Fleet:Enabled=true</c>.</summary>
public static class FleetHostingExtensions
{
    public const string CoordinatorName = "fleet-coordinator";

    /// <summary>
    /// Whole log chunks and rollout records travel as single messages: 1 MiB instead of Akka's
    /// 128000 bytes leaves room for a 500-host record and a log chunk of long lines.
    /// </summary>
    public const int MaxFrameSize = 1024 * 1024;

    /// <param name="startup">The settings, and the files read before the actor system starts (<see cref="FleetStartup.Load"/>).</param>
    /// <param name="summary">What this host says of itself in <c>GET /fleet/hosts</c>.</param>
    /// <param name="reboots">How a rollout reboots this host; null: it refuses.</param>
    public static AkkaConfigurationBuilder WithPinsFleet(
        this AkkaConfigurationBuilder builder,
        FleetStartup startup,
        TimeProvider clock,
        IHostSummarySource summary,
        IRebootRequester? reboots = null)
    {
        var (settings, certificates, journal, journaled) = startup;
        var roles = settings.Controller ? new[] { FleetSettings.HostRole, FleetSettings.ControllerRole } : [FleetSettings.HostRole];
        builder
            .WithRemoting(new RemoteOptions
            {
                HostName = settings.BindHostname,
                PublicHostName = settings.PublicHostname,
                Port = settings.Port,
                MaxFrameSize = MaxFrameSize,
                // Mutual TLS against the fleet's own CA, and nothing else: without EnableSsl the
                // certificate would be configured and the transport would still talk in clear text.
                EnableSsl = true,
                Ssl = new SslOptions
                {
                    X509Certificate = certificates.Node,
                    RequireMutualAuthentication = true,
                    CustomValidator = certificates.Validator,
                },
            })
            .WithClustering(new ClusterOptions
            {
                Roles = roles,
                SeedNodes = settings.Seeds.ToArray(),
                SplitBrainResolver = settings.SplitBrain == SplitBrainStrategy.KeepOldest
                    // Two nodes: keep-majority would down the survivor when the lowest address dies.
                    ? new KeepOldestOption { DownIfAlone = true, Role = FleetSettings.ControllerRole }
                    : new KeepMajorityOption(),
                FailureDetector = new PhiAccrualFailureDetectorOptions
                {
                    AcceptableHeartbeatPause = settings.AcceptableHeartbeatPause,
                },
            })
            .AddHocon(
                $$"""
                akka.cluster.split-brain-resolver.stable-after = {{(long)settings.StableAfter.TotalMilliseconds}}ms
                akka.cluster.distributed-data.durable {
                  keys = ["{{RolloutKeys.DurablePattern}}"]
                  store-actor-class = "{{typeof(FileDurableStore).FullName}}, {{typeof(FileDurableStore).Assembly.GetName().Name}}"
                  {{FileDurableStore.DirectorySetting}} = "{{Hocon(Path.Combine(settings.DataDirectory, "ddata"))}}"
                }
                """,
                HoconAddMode.Prepend)
            .WithDistributedData(new DDataOptions())
            .WithCustomSerializer(FleetSerializer.Name, [typeof(IFleetMessage)], system => new FleetSerializer(system));

        var singletonOptions = new ClusterSingletonOptions { Role = FleetSettings.ControllerRole };
        if (settings.Controller)
        {
            // Only controllers may create the singleton manager: it throws on a node without the role.
            builder.WithSingleton<FleetCoordinator>(CoordinatorName, FleetCoordinator.Props(settings, clock), singletonOptions, createProxyToo: true);
        }
        else
        {
            builder.WithSingletonProxy<FleetCoordinator>(CoordinatorName, singletonOptions);
        }

        builder.WithActors((system, registry, _) =>
        {
            var log = Logging.GetLogger(system, typeof(FleetHostingExtensions));
            var jobs = registry.Get<JobSupervisor>();
            var agent = system.ActorOf(
                HostAgent.Props(settings.NodeName, jobs, journal, journaled, summary, reboots),
                AgentProtocol.ActorName);
            registry.Register<HostAgent>(agent);
            system.ActorOf(QuarantineWatcher.Props(), QuarantineWatcher.ActorName);
            log.Info(
                "Fleet: node {0} at {1} (roles {2}); certificate '{3}' valid until {4:u}, CA '{5}'",
                settings.NodeName, Cluster.Get(system).SelfAddress, string.Join(", ", roles), certificates.Node.Subject, certificates.Node.NotAfter.ToUniversalTime(), certificates.CaSubject);
            if (certificates.Node.NotAfter.ToUniversalTime() < DateTime.UtcNow.AddDays(30))
            {
                // An expired certificate silently cuts a node off: say so while there is time.
                log.Warning("Fleet: this node's certificate expires {0:u}; renew it (ops/fleet-certs.sh) before it does, or the fleet refuses this node", certificates.Node.NotAfter.ToUniversalTime());
            }

            if (settings.Seeds.Count == 0)
            {
                // No seeds: this node starts a new fleet; the others name it among their seeds.
                var cluster = Cluster.Get(system);
                log.Info("Fleet: no Fleet:Seeds, so this node starts a new fleet at {0}", cluster.SelfAddress);
                cluster.Join(cluster.SelfAddress);
            }
        });
        return builder;
    }

    /// <summary>A string for a quoted HOCON value.</summary>
    private static string Hocon(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
}
