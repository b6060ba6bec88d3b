namespace PinsDaemon.Actors.Processes;

/// <summary>
/// Credit between a process's output pumps and the job's disk writer. The pumps take credit for
/// each batch they read; the writer gives it back once the batch is on disk. When the disk falls
/// behind, the pumps stop reading, the pipe fills and the script simply waits on its next write:
/// no line is dropped and the daemon's memory stays bounded, however fast the script prints.
/// Live subscribers are not part of this: they can never slow the job.
/// </summary>
public sealed class OutputGate
{
    private readonly object _gate = new();
    private long _available;
    private TaskCompletionSource? _released;

    public OutputGate(long capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _available = capacity;
    }

    /// <summary>
    /// Takes <paramref name="weight"/>, waiting while none is left. Any credit left lets a batch
    /// through (the balance may go negative), so one large batch cannot wait forever.
    /// </summary>
    public async ValueTask WaitAsync(long weight)
    {
        while (true)
        {
            Task released;
            lock (_gate)
            {
                if (_available > 0)
                {
                    _available -= weight;
                    return;
                }

                _released ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                released = _released.Task;
            }

            await released.ConfigureAwait(false);
        }
    }

    public void Release(long weight)
    {
        TaskCompletionSource? released = null;
        lock (_gate)
        {
            _available += weight;
            if (_available > 0)
            {
                released = _released;
                _released = null;
            }
        }

        released?.TrySetResult();
    }
}
