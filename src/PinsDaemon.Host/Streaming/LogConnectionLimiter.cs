using Microsoft.Extensions.Options;
using PinsDaemon.Host.Configuration;

namespace PinsDaemon.Host.Streaming;

/// <summary>Counts open log streams, in total and per client address, against <see cref="StreamingOptions"/>.</summary>
internal sealed class LogConnectionLimiter(IOptions<StreamingOptions> options)
{
    private readonly object _gate = new();
    private readonly Dictionary<string, int> _perClient = new(StringComparer.Ordinal);
    private int _total;

    /// <summary>Log streams open now (for the metrics and the idle check).</summary>
    public int OpenCount()
    {
        lock (_gate)
        {
            return _total;
        }
    }

    public LimitOutcome TryAcquire(string client, out IDisposable? lease)
    {
        var limits = options.Value;
        lease = null;
        lock (_gate)
        {
            if (_total >= limits.MaxConnections)
            {
                return LimitOutcome.TotalReached;
            }

            _perClient.TryGetValue(client, out var count);
            if (count >= limits.MaxConnectionsPerAddress)
            {
                return LimitOutcome.PerAddressReached;
            }

            _perClient[client] = count + 1;
            _total++;
        }

        lease = new Lease(this, client);
        return LimitOutcome.Acquired;
    }

    private void Release(string client)
    {
        lock (_gate)
        {
            _total--;
            if (--_perClient[client] == 0)
            {
                _perClient.Remove(client);
            }
        }
    }

    private sealed class Lease(LogConnectionLimiter limiter, string client) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                limiter.Release(client);
            }
        }
    }
}

internal enum LimitOutcome
{
    Acquired,
    TotalReached,
    PerAddressReached,
}
