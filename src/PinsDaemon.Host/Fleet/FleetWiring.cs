using System.Runtime.CompilerServices;
using Akka.Hosting;
using Microsoft.Extensions.Options;
using PinsDaemon.Fleet;
using PinsDaemon.Fleet.Agents;
using PinsDaemon.Fleet.Hosting;
using PinsDaemon.Fleet.Security;
using PinsDaemon.Host.Configuration;

namespace PinsDaemon.Host.Fleet;

/// <summary>
/// The one door from the daemon to the fleet, opened only with <c>Fleet:Enabled=true</c>. No
/// signature here mentions a type of PinsDaemon.Fleet or Akka.Cluster, and each body is its own
/// non-inlined method: a daemon without the fleet never JIT-compiles them, so it never loads those
/// assemblies (start-up time and memory stay as they were; bench/README.md).
/// </summary>
internal static class FleetWiring
{
    public static bool IsEnabled(IConfiguration configuration) =>
        configuration.GetValue<bool>($"{FleetOptions.SectionName}:{nameof(FleetOptions.Enabled)}");

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void AddServices(IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<FleetOptions>()
            .BindConfiguration(FleetOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<FleetOptions>, FleetOptionsValidator>();
        services.AddSingleton(sp => Settings(
            sp.GetRequiredService<IOptions<FleetOptions>>().Value,
            sp.GetRequiredService<IOptions<StorageOptions>>().Value));
        services.AddSingleton(sp => FleetStartup.Load(sp.GetRequiredService<FleetSettings>()));
        if (configuration.GetValue<bool>($"{HostStatus.HostStatusOptions.SectionName}:{nameof(HostStatus.HostStatusOptions.AllowReboot)}"))
        {
            // Host:AllowReboot is the host's opt-in for rollouts' reboots too; without it, it refuses them.
            services.AddSingleton<IRebootRequester>(sp => new SupervisorRebootRequester(
                new Lazy<IRequiredActor<Actors.Jobs.JobSupervisor>>(sp.GetRequiredService<IRequiredActor<Actors.Jobs.JobSupervisor>>),
                sp.GetRequiredService<ILoggerFactory>().CreateLogger(Endpoints.Audit.Category)));
        }

        services.AddSingleton<IHostSummarySource>(sp => new HostStatusSummary(
            new Lazy<HostStatus.HostStatusReader>(sp.GetRequiredService<HostStatus.HostStatusReader>),
            rebootAllowed: sp.GetService<IRebootRequester>() is not null));
        // Registered before AddAkka's hosted service, so it runs first: the files are read before
        // the actor system starts (FleetStartup says why).
        services.AddHostedService<FleetStartupCheck>();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ConfigureAkka(AkkaConfigurationBuilder akka, IServiceProvider services)
    {
        akka.WithPinsFleet(
            services.GetRequiredService<FleetStartup>(),
            services.GetRequiredService<TimeProvider>(),
            services.GetRequiredService<IHostSummarySource>(),
            services.GetService<IRebootRequester>());
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Map(IEndpointRouteBuilder app) => app.MapFleet();

    /// <summary>The message of a fleet configuration error (a certificate, the data directory, the agent's journal); null for any other exception.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string? ConfigurationProblem(Exception exception) =>
        exception is FleetConfigurationException fleet ? fleet.Message : null;

    private static FleetSettings Settings(FleetOptions options, StorageOptions storage)
    {
        var name = string.IsNullOrEmpty(options.NodeName) ? Environment.MachineName : options.NodeName;
        return new FleetSettings
        {
            NodeName = name,
            Controller = options.Controller,
            PublicHostname = string.IsNullOrEmpty(options.Hostname) ? name : options.Hostname,
            BindHostname = options.BindHostname,
            Port = options.Port,
            Seeds = options.Seeds.Select(seed => FleetSeeds.TryNormalise(seed, out var address, out _) ? address : seed).ToArray(),
            CertificateFile = options.Tls.CertificateFile!,
            KeyFile = options.Tls.KeyFile!,
            CaFile = options.Tls.CaFile!,
            DataDirectory = string.IsNullOrEmpty(options.DataDirectory) ? Path.Combine(storage.Directory, "fleet") : options.DataDirectory,
            SplitBrain = Enum.Parse<SplitBrainStrategy>(options.SplitBrain, ignoreCase: true),
            StableAfter = options.StableAfter,
            AcceptableHeartbeatPause = options.AcceptableHeartbeatPause,
            RebootTimeout = options.RebootTimeout,
            RejoinTimeout = options.RejoinTimeout,
        };
    }
}
