using Akka.Actor;
using Akka.Event;
using Akka.Hosting;
using PinsDaemon.Actors.Jobs;
using PinsDaemon.Actors.Runs;
using PinsDaemon.Actors.Schedule;
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

    /// <summary>
    /// Scheduled checks (<see cref="CheckScheduler"/>), after <see cref="WithPinsActors"/>: they
    /// start their dry runs through its supervisor.
    /// </summary>
    public static AkkaConfigurationBuilder WithCheckScheduler(
        this AkkaConfigurationBuilder builder,
        CheckScheduleSettings settings,
        ScheduleStateFile file,
        TimeProvider clock)
    {
        return builder.WithActors((system, registry, _) =>
        {
            ScheduleState? saved = null;
            try
            {
                saved = file.Load();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
            {
                Logging.GetLogger(system, typeof(CheckScheduler)).Warning("Scheduled checks: {0} cannot be read ({1}); planning the next check afresh", file.Path, ex.Message);
            }

            system.ActorOf(CheckScheduler.Props(settings, registry.Get<JobSupervisor>(), file, saved, clock), "check-scheduler");
        });
    }
}
