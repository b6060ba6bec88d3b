using Microsoft.AspNetCore.Connections;

namespace PinsDaemon.Host.Activation;

/// <summary>
/// A gate in front of accept(2) on the sockets systemd passed, and the count of connections
/// accepted through it. Closing the gate cancels the accepts in flight without closing the
/// listening socket, so a client that connects afterwards waits in the socket's queue, which
/// systemd keeps open: the next daemon it starts serves that client. Once <see cref="CloseAsync"/>
/// returns, no connection can be accepted until <see cref="Open"/>, and
/// <see cref="OpenConnections"/> counts every one that was.
/// </summary>
internal sealed class ListenerGate
{
    private readonly object _lock = new();
    private CancellationTokenSource _closing = new();
    private TaskCompletionSource _reopened = NewSignal();
    private TaskCompletionSource? _quiet;
    private bool _closed;
    private int _accepting;
    private int _open;

    /// <summary>Connections accepted and not yet closed.</summary>
    public int OpenConnections
    {
        get
        {
            lock (_lock)
            {
                return _open;
            }
        }
    }

    /// <summary>Stops accepting, and returns once no accept is in flight any more.</summary>
    public async Task CloseAsync()
    {
        Task quiet;
        CancellationTokenSource closing;
        lock (_lock)
        {
            _closed = true;
            _quiet = NewSignal();
            if (_accepting == 0)
            {
                _quiet.TrySetResult();
            }

            quiet = _quiet.Task;
            closing = _closing;
        }

        // Outside the lock: a cancelled accept leaves through Leave, which takes it.
        await closing.CancelAsync();
        await quiet;
    }

    /// <summary>Accepts again: a connection came in while the gate was closing.</summary>
    public void Open()
    {
        TaskCompletionSource reopened;
        lock (_lock)
        {
            _closed = false;
            _quiet = null;
            _closing.Dispose();
            _closing = new CancellationTokenSource();
            reopened = _reopened;
            _reopened = NewSignal();
        }

        reopened.TrySetResult();
    }

    /// <summary>Whether an accept may start now; if not, <paramref name="reopened"/> completes when it may.</summary>
    internal bool TryEnter(out CancellationToken closing, out Task reopened)
    {
        lock (_lock)
        {
            reopened = _reopened.Task;
            closing = _closing.Token;
            if (_closed)
            {
                return false;
            }

            _accepting++;
            return true;
        }
    }

    /// <summary>An accept ended, with a connection or without one.</summary>
    internal void Leave(ConnectionContext? accepted)
    {
        lock (_lock)
        {
            if (accepted is not null)
            {
                _open++;
            }

            if (--_accepting == 0)
            {
                _quiet?.TrySetResult();
            }
        }

        // Fires once the transport has closed the connection, whoever ended it (the client,
        // the daemon, or Kestrel's own connection limit before any middleware ran).
        accepted?.ConnectionClosed.Register(static gate => ((ListenerGate)gate!).Closed(), this);
    }

    private void Closed()
    {
        lock (_lock)
        {
            _open--;
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
