namespace PinsDaemon.Host.Hosting;

/// <summary>
/// A background service whose cancellation is its normal end. The generic host logs
/// "BackgroundService failed", with a stack trace, for a service task that ends cancelled unless
/// the host itself was stopping; when another service's start fails (a port in use), the host
/// disposes the started ones without that, and the daemon's one-line start-up error would get a
/// stack trace around it.
/// </summary>
internal abstract class StoppableService : BackgroundService
{
    protected sealed override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await RunAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopped: nothing failed.
        }
    }

    /// <summary>The service's work; may throw <see cref="OperationCanceledException"/> once <paramref name="stoppingToken"/> is cancelled.</summary>
    protected abstract Task RunAsync(CancellationToken stoppingToken);
}
