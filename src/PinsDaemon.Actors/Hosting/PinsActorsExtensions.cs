using Akka.Actor;
using Akka.Event;
using Akka.Hosting;
using PinsDaemon.Actors.Jobs;
using PinsDaemon.Actors.Notifications;
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
    /// Registers the <see cref="NotificationDispatcher"/>. Call it before <see cref="WithPinsActors"/>:
    /// it listens for finished jobs from before the job supervisor exists, so a job that the
    /// restored supervisor sees end at once is not missed.
    /// </summary>
    public static AkkaConfigurationBuilder WithPinsNotifications(
        this AkkaConfigurationBuilder builder,
        NotificationSettings settings,
        INotificationSender sender,
        TimeProvider clock)
    {
        return builder.WithActors((system, registry, _) =>
        {
            var store = new DeliveryStore(settings.Directory);
            var (deliveries, problems) = store.Load();
            var log = Logging.GetLogger(system, typeof(DeliveryStore));
            foreach (var problem in problems)
            {
                log.Warning("Notification queue: {0}", problem);
            }

            var dispatcher = system.ActorOf(NotificationDispatcher.Props(settings, store, sender, clock, deliveries, store.ReadUpdatesSeen()), "notifications");
            // Subscribed here rather than in PreStart, which runs later, on the actor's thread.
            system.EventStream.Subscribe(dispatcher, typeof(JobProtocol.JobFinished));
            registry.Register<NotificationDispatcher>(dispatcher);
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
