namespace PinsDaemon.Host.Activation;

/// <summary>Asks every registered <see cref="IActivitySource"/> whether the daemon is in use.</summary>
internal sealed class ActivityMonitor(IEnumerable<IActivitySource> sources, ILogger<ActivityMonitor> logger)
{
    /// <summary>The first source that counts above zero, or null when all are idle.</summary>
    public async Task<string?> BusyWithAsync(CancellationToken cancellationToken)
    {
        foreach (var source in sources)
        {
            try
            {
                if (await source.CountAsync(cancellationToken) > 0)
                {
                    return source.Name;
                }
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning("Could not count {Source} ({Error}); taking the daemon as busy", source.Name, ex.Message);
                return source.Name;
            }
        }

        return null;
    }
}

internal static class LifetimeExtensions
{
    /// <summary>Completes once the host has started (the server listens), or throws if it stops first.</summary>
    public static async Task WhenStartedAsync(this IHostApplicationLifetime lifetime, CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var onStarted = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        await started.Task.WaitAsync(stoppingToken);
    }
}
