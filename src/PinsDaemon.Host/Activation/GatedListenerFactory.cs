using System.Net;
using Microsoft.AspNetCore.Connections;

namespace PinsDaemon.Host.Activation;

/// <summary>Kestrel's socket transport with every listener behind the <see cref="ListenerGate"/>.</summary>
internal sealed class GatedListenerFactory(IConnectionListenerFactory inner, ListenerGate gate)
    : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    public async ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default) =>
        new GatedListener(await inner.BindAsync(endpoint, cancellationToken), gate);

    public bool CanBind(EndPoint endpoint) => inner is not IConnectionListenerFactorySelector selector || selector.CanBind(endpoint);

    private sealed class GatedListener(IConnectionListener inner, ListenerGate gate) : IConnectionListener
    {
        private readonly TaskCompletionSource _unbound = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public EndPoint EndPoint => inner.EndPoint;

        public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            while (!_unbound.Task.IsCompleted)
            {
                if (!gate.TryEnter(out var closing, out var reopened))
                {
                    await Task.WhenAny(reopened, _unbound.Task).WaitAsync(cancellationToken);
                    continue;
                }

                ConnectionContext? connection = null;
                try
                {
                    using var linked = cancellationToken.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(closing, cancellationToken) : null;
                    connection = await inner.AcceptAsync(linked?.Token ?? closing);
                    // Null means the listener was unbound, or (depending on the transport) that
                    // the closing gate aborted the accept: then the loop waits at the gate.
                    if (connection is not null || !closing.IsCancellationRequested || _unbound.Task.IsCompleted)
                    {
                        return connection;
                    }
                }
                catch (OperationCanceledException) when (closing.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    // The gate closed. A client connecting now waits in the socket's queue.
                }
                finally
                {
                    gate.Leave(connection);
                }
            }

            return null;
        }

        public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
        {
            _unbound.TrySetResult();
            return inner.UnbindAsync(cancellationToken);
        }

        public ValueTask DisposeAsync()
        {
            _unbound.TrySetResult();
            return inner.DisposeAsync();
        }
    }
}
