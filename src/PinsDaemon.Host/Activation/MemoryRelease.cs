using PinsDaemon.Host.Hosting;
using System.Runtime;

namespace PinsDaemon.Host.Activation;

/// <summary>
/// Gives a job's memory back to the system once the daemon is idle again: one full, compacting
/// collection that decommits what it frees (<see cref="GCCollectionMode.Aggressive"/>), once per
/// busy period, <see cref="Settle"/> after the last job, log stream and (when socket-activated)
/// connection ended.
/// </summary>
/// <remarks>
/// Why a collection call at all: a job's lines are promoted to generation 2 while they sit in
/// the log window and the streams' buffers, and after the job nothing allocates, so nothing
/// ever triggers the generation 2 collection that would free them; the GC also keeps the
/// regions it used committed for the next burst. Measured (bench/README.md): the live heap
/// after any number of jobs is ~12 MiB, so this is not covering a leak; without it RSS stays
/// 80-150 MiB above idle until the next job. Not a timer: it runs on the busy-to-idle edge only.
/// </remarks>
internal sealed class MemoryRelease(ActivityMonitor activity, IHostApplicationLifetime lifetime, TimeProvider clock, ILogger<MemoryRelease> logger) : StoppableService
{
    /// <summary>
    /// Longer than a finished job keeps its window for late readers (JobLog.WindowRetention,
    /// 5 s), so what the collection finds is garbage, not a window about to be dropped.
    /// </summary>
    internal static readonly TimeSpan Settle = TimeSpan.FromSeconds(6);

    private static readonly TimeSpan CheckEvery = TimeSpan.FromSeconds(1);

    protected override async Task RunAsync(CancellationToken stoppingToken)
    {
        await lifetime.WhenStartedAsync(stoppingToken);
        var busy = false;
        var idleSince = clock.GetUtcNow();
        using var timer = new PeriodicTimer(CheckEvery, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (await activity.BusyWithAsync(stoppingToken, memoryOnly: true) is not null)
            {
                busy = true;
                idleSince = clock.GetUtcNow();
                continue;
            }

            if (!busy || clock.GetUtcNow() - idleSince < Settle)
            {
                continue;
            }

            busy = false;
            var before = Environment.WorkingSet;
            GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            logger.LogDebug(
                "Idle again: gave memory back (working set {Before} -> {After} MiB, GC heap {Heap} MiB)",
                before >> 20, Environment.WorkingSet >> 20, GC.GetTotalMemory(false) >> 20);
        }
    }
}
