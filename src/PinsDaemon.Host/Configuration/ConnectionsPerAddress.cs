using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;
using PinsDaemon.Host.Auth;

namespace PinsDaemon.Host.Configuration;

/// <summary>
/// Kestrel connection middleware: caps the open TCP connections of each client address at
/// <see cref="NetworkOptions.MaxConnectionsPerAddress"/> and closes any connection beyond it at
/// once, before TLS and before any byte of HTTP is read. Kestrel's own limit counts all
/// connections together, which one address could fill.
/// </summary>
internal sealed class ConnectionsPerAddress(IOptions<NetworkOptions> options, ILoggerFactory loggers, TimeProvider clock)
{
    /// <summary>At most one warning this often, however fast connections are refused, so a flood cannot flood the log too.</summary>
    private static readonly TimeSpan WarningInterval = TimeSpan.FromSeconds(10);

    private readonly ILogger _log = loggers.CreateLogger("PinsDaemon.Host.Network");
    private readonly object _gate = new();

    // One entry per address with a connection open: at most Kestrel's connection limit (500),
    // since this middleware runs inside it.
    private readonly Dictionary<string, int> _open = new(StringComparer.Ordinal);
    private HashSet<IPAddress>? _proxies;
    private DateTimeOffset _lastWarning = DateTimeOffset.MinValue;
    private int _refusedSinceWarning;

    // Read at the first connection, not when Kestrel is configured (with the host, before the
    // settings are validated at start). Validated there too, so TryParse never drops one.
    private HashSet<IPAddress> Proxies => _proxies ??=
        [.. options.Value.KnownProxies.Select(p => IPAddress.TryParse(p, out var a) ? a : null).OfType<IPAddress>()];

    public ConnectionDelegate Wrap(ConnectionDelegate next) => async connection =>
    {
        var address = (connection.RemoteEndPoint as IPEndPoint)?.Address;
        if (address is null || Proxies.Contains(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address))
        {
            // Not an IP connection (a Unix socket), or a proxy that carries many clients.
            await next(connection);
            return;
        }

        var key = FailedAuthThrottle.ClientKey(address);
        if (!TryOpen(key))
        {
            // Returning without running the rest of the pipeline closes the connection.
            return;
        }

        try
        {
            await next(connection);
        }
        finally
        {
            Close(key);
        }
    };

    private bool TryOpen(string key)
    {
        lock (_gate)
        {
            _open.TryGetValue(key, out var count);
            if (count < options.Value.MaxConnectionsPerAddress)
            {
                _open[key] = count + 1;
                return true;
            }

            _refusedSinceWarning++;
            var now = clock.GetUtcNow();
            if (now - _lastWarning < WarningInterval)
            {
                return false;
            }

            _log.LogWarning(
                "Refused {Refused} connection(s) since the last warning: {Client} already has {Count} open (Network:MaxConnectionsPerAddress)",
                _refusedSinceWarning, key, count);
            _lastWarning = now;
            _refusedSinceWarning = 0;
            return false;
        }
    }

    private void Close(string key)
    {
        lock (_gate)
        {
            if (--_open[key] == 0)
            {
                _open.Remove(key);
            }
        }
    }
}
