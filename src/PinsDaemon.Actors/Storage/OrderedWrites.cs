namespace PinsDaemon.Actors.Storage;

/// <summary>
/// Runs an actor's file writes off its thread, one at a time, in the order asked: an older state
/// can never land after a newer one, and the actor never blocks on the disk.
/// </summary>
public sealed class OrderedWrites
{
    private readonly object _gate = new();
    private Task _tail = Task.CompletedTask;

    /// <summary>Completes once every write asked so far is done.</summary>
    public Task Flushed
    {
        get
        {
            lock (_gate)
            {
                return _tail;
            }
        }
    }

    /// <summary>
    /// Queues <paramref name="write"/>. An I/O failure goes to <paramref name="failed"/> (say it
    /// there) and never stops the writes after it.
    /// </summary>
    /// <returns>Completes once this write is done or has failed; never faults.</returns>
    public Task Enqueue(Action write, Action<Exception> failed)
    {
        lock (_gate)
        {
            _tail = _tail.ContinueWith(
                _ =>
                {
                    try
                    {
                        write();
                    }
                    catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                    {
                        failed(ex);
                    }
                },
                CancellationToken.None,
                TaskContinuationOptions.None,
                TaskScheduler.Default);
            return _tail;
        }
    }
}
