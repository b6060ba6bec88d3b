using System.Globalization;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using PinsDaemon.Actors.Jobs;

namespace PinsDaemon.Host.Hosting;

/// <summary>
/// Pings systemd's watchdog (<c>WatchdogSec=</c> in the unit) at half its interval, and only
/// after a round trip through the job supervisor succeeded: a timer alone would keep pinging
/// from a daemon whose actors are stuck. A missed ping makes systemd restart the daemon, which
/// no longer touches a run: the new daemon re-attaches to it. Does nothing without systemd.
/// </summary>
/// <param name="services">The notifier is registered only when systemd started the daemon. The
/// supervisor is looked up here, once needed: taking it in the constructor would create the actor
/// system before the settings are validated, and a bad setting would then log Akka's shutdown
/// around its one-line error.</param>
internal sealed class SystemdWatchdog(IServiceProvider services, ILogger<SystemdWatchdog> logger) : StoppableService
{
    protected override async Task RunAsync(CancellationToken stoppingToken)
    {
        if (services.GetService<ISystemdNotifier>() is not { IsEnabled: true } notifier
            || !long.TryParse(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), NumberStyles.None, CultureInfo.InvariantCulture, out var usec)
            || usec <= 0)
        {
            return;
        }

        // The supervisor is registered by the actor system, which starts alongside this service.
        var supervisor = await services.GetRequiredService<IRequiredActor<JobSupervisor>>().GetAsync(stoppingToken).ConfigureAwait(false);
        var interval = TimeSpan.FromMicroseconds(usec / 2);
        logger.LogInformation("Pinging the systemd watchdog every {Interval}", interval);
        using var timer = new PeriodicTimer(interval);
        do
        {
            try
            {
                // Bounded by the interval: a supervisor that cannot answer in time misses the ping.
                await supervisor.Ask<JobProtocol.JobList>(JobProtocol.ListJobs.Instance, interval, stoppingToken);
                notifier.Notify(new ServiceState("WATCHDOG=1"));
            }
            catch (Exception ex) when (ex is AskTimeoutException or TaskCanceledException && !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("The job supervisor did not answer within {Interval}; not pinging the systemd watchdog", interval);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
