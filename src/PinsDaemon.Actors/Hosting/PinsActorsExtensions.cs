using Akka.Actor;
using Akka.Event;
using Akka.Hosting;
using PinsDaemon.Actors.Jobs;
using PinsDaemon.Actors.Runs;
using PinsDaemon.Actors.Storage;

namespace PinsDaemon.Actors.Hosting;

/// <summary>Registers the jobs area with an Akka.Hosting actor system.</summary>
public static class PinsActorsExtensions
{
    public static AkkaConfigurationBuilder WithPinsActors(
        this AkkaConfigurationBuilder builder,
        JobSupervisorSettings settings,
        IRunner runner,
        JobStore store,
        TimeProvider clock)
    {
        return builder.AddHocon(JobSupervisor.DispatcherHocon, HoconAddMode.Prepend).WithActors((system, registry, _) =>
        {
            // Start-up work, before the supervisor exists: read the history once, report what
            // could not be read, and hand the rest to the supervisor.
            var loaded = store.Load(clock);
            var log = Logging.GetLogger(system, typeof(JobStore));
            foreach (var problem in loaded.Problems)
            {
                log.Warning("Job history: {0}", problem);
            }

            var supervisor = system.ActorOf(JobSupervisor.Props(settings, runner, store, loaded.Jobs, clock), "jobs");
            registry.Register<JobSupervisor>(supervisor);
        });
    }
}
