using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PinsDaemon.Host.Activation;
using PinsDaemon.Host.Configuration;

namespace PinsDaemon.Host.Tests;

/// <summary>
/// The daemon's own background services end quietly when the host stops before it started (a
/// port in use, a bad certificate): the generic host logs "BackgroundService failed" with a stack
/// trace for a service whose task ends cancelled when it did not call StopAsync itself, and the
/// daemon promises one line for such a failure (StartupSpecs). Seen in CI as a race.
/// </summary>
public sealed class BackgroundServiceSpecs
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(30);

    public static TheoryData<string> Services => ["memory release", "idle exit"];

    [Theory]
    [MemberData(nameof(Services))]
    public async Task Should_end_without_a_fault_or_a_cancellation_when_stopped_before_the_host_started(string name)
    {
        var lifetime = new NeverStarted();
        using var service = Create(name, lifetime);

        await service.StartAsync(CancellationToken.None);
        await lifetime.Waited.WaitAsync(Within);
        await service.StopAsync(CancellationToken.None);

        var task = Assert.IsAssignableFrom<Task>(service.ExecuteTask);
        await Task.WhenAny(task, Task.Delay(Within));
        Assert.True(task.IsCompletedSuccessfully, $"{name} ended {task.Status}");
    }

    [Theory]
    [MemberData(nameof(Services))]
    public async Task Should_end_without_a_fault_or_a_cancellation_when_disposed_without_a_stop(string name)
    {
        var lifetime = new NeverStarted();
        var service = Create(name, lifetime);
        await service.StartAsync(CancellationToken.None);
        await lifetime.Waited.WaitAsync(Within);
        var task = Assert.IsAssignableFrom<Task>(service.ExecuteTask);

        // What the host does to a service it started when another one's start failed.
        service.Dispose();

        await Task.WhenAny(task, Task.Delay(Within));
        Assert.True(task.IsCompletedSuccessfully, $"{name} ended {task.Status}");
    }

    private static BackgroundService Create(string name, IHostApplicationLifetime lifetime)
    {
        var activity = new ActivityMonitor([], NullLogger<ActivityMonitor>.Instance);
        return name switch
        {
            "memory release" => new MemoryRelease(activity, lifetime, TimeProvider.System, NullLogger<MemoryRelease>.Instance),
            "idle exit" => new IdleExit(
                Options.Create(new DaemonOptions { IdleExitAfter = TimeSpan.FromMinutes(1) }),
                activity,
                new ListenerGate(),
                lifetime,
                TimeProvider.System,
                NullLogger<IdleExit>.Instance),
            _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
        };
    }

    /// <summary>A host whose server never listened: its start failed.</summary>
    private sealed class NeverStarted : IHostApplicationLifetime
    {
        private readonly TaskCompletionSource _waited = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>The service runs, and waits for the start (the case seen in CI).</summary>
        public Task Waited => _waited.Task;

        public CancellationToken ApplicationStarted
        {
            get
            {
                _waited.TrySetResult();
                return CancellationToken.None;
            }
        }

        public CancellationToken ApplicationStopping => CancellationToken.None;

        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication()
        {
        }
    }
}
