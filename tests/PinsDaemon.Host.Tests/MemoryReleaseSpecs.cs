using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using PinsDaemon.Host.Activation;
using PinsDaemon.Host.Tests.TestSupport;

namespace PinsDaemon.Host.Tests;

public sealed class MemoryReleaseSpecs
{
    [Fact]
    public async Task Should_give_memory_back_after_a_burst_that_no_check_saw_busy()
    {
        // A job shorter than the one-second check came and went between two checks: the
        // activity sources never counted it, but what it allocated is still held.
        var logs = new CapturingLoggerProvider();
        var activity = new ActivityMonitor([], NullLogger<ActivityMonitor>.Instance);
        using var service = new MemoryRelease(activity, new Started(), TimeProvider.System, (ILogger<MemoryRelease>)new Logger<MemoryRelease>(new LoggerFactory([logs])));
        await service.StartAsync(CancellationToken.None);
        await Task.Delay(TimeSpan.FromMilliseconds(200));
        Burst(MemoryRelease.BurstBytes * 2);

        var deadline = DateTime.UtcNow + MemoryRelease.Settle + TimeSpan.FromSeconds(10);
        while (!logs.Lines.Any(line => line.Contains("Idle again: gave memory back", StringComparison.Ordinal)) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }

        await service.StopAsync(CancellationToken.None);
        Assert.Contains(logs.Lines, line => line.Contains("Idle again: gave memory back", StringComparison.Ordinal));
    }

    private static void Burst(long bytes)
    {
        for (long allocated = 0; allocated < bytes; allocated += 64 * 1024)
        {
            GC.KeepAlive(new byte[64 * 1024]);
        }
    }

    /// <summary>A host whose server listens.</summary>
    private sealed class Started : IHostApplicationLifetime
    {
        public CancellationToken ApplicationStarted => new(canceled: true);

        public CancellationToken ApplicationStopping => CancellationToken.None;

        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication()
        {
        }
    }
}
