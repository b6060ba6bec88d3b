using Akka.Hosting;
using PinsDaemon.Actors.Jobs;
using PinsDaemon.Actors.Processes;

namespace PinsDaemon.Actors.Hosting;

/// <summary>Registers the jobs area with an Akka.Hosting actor system.</summary>
public static class PinsActorsExtensions
{
    public static AkkaConfigurationBuilder WithPinsActors(
        this AkkaConfigurationBuilder builder,
        JobSupervisorSettings settings,
        IProcessLauncher launcher,
        TimeProvider clock)
    {
        return builder.WithActors((system, registry, _) =>
        {
            var supervisor = system.ActorOf(JobSupervisor.Props(settings, launcher, clock), "jobs");
            registry.Register<JobSupervisor>(supervisor);
        });
    }
}
