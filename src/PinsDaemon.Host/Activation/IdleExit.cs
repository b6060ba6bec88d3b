using Microsoft.Extensions.Options;
using PinsDaemon.Host.Configuration;
using PinsDaemon.Host.Hosting;

namespace PinsDaemon.Host.Activation;

/// <summary>
/// Socket activation only: stops the daemon after <see cref="DaemonOptions.IdleExitAfter"/> in
/// which every <see cref="IActivitySource"/> counted zero, so a board pays nothing between uses.
/// Before stopping it closes the <see cref="ListenerGate"/> and counts once more: a client that
/// got in meanwhile reopens the gate and is served here; one that connects after the gate closed
/// waits in systemd's socket and is served by the next daemon. A run goes on in its own unit
/// either way, and the next daemon re-attaches to it.
/// </summary>
internal sealed class IdleExit(
    IOptions<DaemonOptions> options,
    ActivityMonitor activity,
    ListenerGate gate,
    IHostApplicationLifetime lifetime,
    TimeProvider clock,
    ILogger<IdleExit> logger) : StoppableService
{
    protected override async Task RunAsync(CancellationToken stoppingToken)
    {
        var after = options.Value.IdleExitAfter;
        if (after == TimeSpan.Zero)
        {
            return;
        }

        // The idle time counts from when the server listens: a start-up slower than the idle
        // time (a loaded board) must not stop the daemon before it served the connection that
        // started it.
        await lifetime.WhenStartedAsync(stoppingToken);

        // A fifteenth of the idle time, between 100 ms and a minute: the daemon exits at most
        // about 7% later than configured, and a check costs one actor round trip.
        var interval = TimeSpan.FromTicks(Math.Clamp(after.Ticks / 15, TimeSpan.TicksPerMillisecond * 100, TimeSpan.TicksPerMinute));
        var idleSince = clock.GetUtcNow();
        using var timer = new PeriodicTimer(interval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (await activity.BusyWithAsync(stoppingToken) is not null)
            {
                idleSince = clock.GetUtcNow();
                continue;
            }

            if (clock.GetUtcNow() - idleSince < after)
            {
                continue;
            }

            await gate.CloseAsync();
            if (await activity.BusyWithAsync(stoppingToken) is { } busy)
            {
                logger.LogDebug("A client came in while the daemon was about to exit ({Busy}); staying up", busy);
                gate.Open();
                idleSince = clock.GetUtcNow();
                continue;
            }

            logger.LogInformation(
                "Idle for {IdleExitAfter} (no job, no connection, no session): exiting; systemd starts the daemon again at the next connection (Daemon:IdleExitAfter)",
                after);
            lifetime.StopApplication();
            return;
        }
    }
}
