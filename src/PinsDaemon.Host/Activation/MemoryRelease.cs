using PinsDaemon.Host.Hosting;
using System.Runtime;

namespace PinsDaemon.Host.Activation;

/// <summary>
/// Gives a job's memory back to the system once the daemon is idle again: one full, compacting
/// collection that decommits what it frees (<see cref="GCCollectionMode.Aggressive"/>), once
/// after each burst of work, <see cref="Settle"/> after the last job, log stream and (when
/// socket-activated) connection ended.
/// </summary>
/// <remarks>
/// Why a collection call at all: a job's lines are promoted to generation 2 while they sit in
/// the log window and the streams' buffers, and after the job nothing allocates, so nothing
/// ever triggers the generation 2 collection that would free them; the GC also keeps the
/// regions it used committed for the next burst. Measured (bench/README.md): the live heap
/// after any number of jobs is a few MiB, so this is not covering a leak; without it RSS stays
/// 30-150 MiB above idle until the next job. Not a timer: it runs once per burst, on the
/// busy-to-idle edge.
///
/// A burst is told by what was allocated since the last collection (<see cref="BurstBytes"/>),
/// not by catching the daemon busy: a job shorter than the one-second check (a quick dry run,
/// the bench's first job) used to fall between two checks and leave its memory held.
/// </remarks>
internal sealed class MemoryRelease(ActivityMonitor activity, IHostApplicationLifetime lifetime, TimeProvider clock, ILogger<MemoryRelease> logger) : StoppableService
{
    /// <summary>
    /// Longer than a finished job keeps its window for late readers (JobLog.WindowRetention,
    /// 5 s), so what the collection finds is garbage, not a window about to be dropped.
    /// </summary>
    internal static readonly TimeSpan Settle = TimeSpan.FromSeconds(6);

    /// <summary>
    /// Allocated since the last collection, this much makes a burst worth giving back: an idle
    /// daemon allocates a few KiB a second (its checks and timers), a 100,000-line job hundreds of MiB.
    /// </summary>
    internal const long BurstBytes = 16 * 1024 * 1024;

    private static readonly TimeSpan CheckEvery = TimeSpan.FromSeconds(1);

    protected override async Task RunAsync(CancellationToken stoppingToken)
    {
        await lifetime.WhenStartedAsync(stoppingToken);
        // What start-up allocated is not a burst: the daemon starts compact enough.
        var allocatedAtRelease = GC.GetTotalAllocatedBytes();
        var idleSince = clock.GetUtcNow();
        using var timer = new PeriodicTimer(CheckEvery, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (await activity.BusyWithAsync(stoppingToken, memoryOnly: true) is not null)
            {
                idleSince = clock.GetUtcNow();
                continue;
            }

            if (clock.GetUtcNow() - idleSince < Settle || GC.GetTotalAllocatedBytes() - allocatedAtRelease < BurstBytes)
            {
                continue;
            }

            var before = Environment.WorkingSet;
            GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            allocatedAtRelease = GC.GetTotalAllocatedBytes();
            logger.LogDebug(
                "Idle again: gave memory back (working set {Before} -> {After} MiB, GC heap {Heap} MiB)",
                before >> 20, Environment.WorkingSet >> 20, GC.GetTotalMemory(false) >> 20);
        }
    }
}
