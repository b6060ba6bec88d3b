using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using PinsDaemon.Host.Configuration;

namespace PinsDaemon.Host.Auth;

/// <summary>
/// Counts failed authentications per client address with System.Threading.RateLimiting's
/// fixed-window limiter. Past the limit, further wrong credentials from that address get 429
/// with Retry-After; the right token is still accepted. (Refusing it too would only hide from
/// a guesser when it had won, which matters for a token that can be guessed: the installer's
/// has 256 bits, and any token must have at least 32 characters. Meanwhile any local process
/// could lock the rightful client out with ten wrong tokens a minute.) Other addresses are
/// unaffected.
/// </summary>
/// <remarks>
/// Not the RateLimiter middleware: it takes a permit for every request, while only failures may
/// count here, and it cannot see whether authentication failed.
/// </remarks>
public sealed class FailedAuthThrottle : IDisposable
{
    private readonly PartitionedRateLimiter<string> _failures;

    /// <summary>One "throttled" audit line per address per window, however many refusals follow.</summary>
    private readonly PartitionedRateLimiter<string> _throttleNotices;
    private readonly TimeSpan _window;

    public FailedAuthThrottle(IOptions<AuthOptions> options)
    {
        var auth = options.Value;
        _window = TimeSpan.FromSeconds(auth.FailureWindowSeconds);
        _failures = PartitionedRateLimiter.Create<string, string>(client =>
            RateLimitPartition.GetFixedWindowLimiter(client, _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = auth.MaxFailedAttempts,
                Window = _window,
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
        _throttleNotices = PartitionedRateLimiter.Create<string, string>(client =>
            RateLimitPartition.GetFixedWindowLimiter(client, _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = 1,
                Window = _window,
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
    }

    /// <summary>
    /// The partition for an address. IPv6 clients are grouped by /64: one host usually holds a
    /// whole /64 and could otherwise rotate through addresses to dodge the limit.
    /// </summary>
    public static string ClientKey(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var bytes = address.GetAddressBytes();
            Array.Clear(bytes, 8, 8);
            return new IPAddress(bytes) + "/64";
        }

        return address.ToString();
    }

    /// <summary>True when the address has used up its failures; <paramref name="retryAfter"/> says for how long wrong credentials are refused.</summary>
    public bool IsBlocked(string client, out TimeSpan retryAfter)
    {
        // Asking for zero permits only looks: it fails, with a Retry-After, once none are left.
        using var lease = _failures.AttemptAcquire(client, 0);
        retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : _window;
        return !lease.IsAcquired;
    }

    public void RecordFailure(string client)
    {
        using var _ = _failures.AttemptAcquire(client, 1);
    }

    /// <summary>True for the first refusal of <paramref name="client"/> in a window: worth an audit line.</summary>
    public bool ShouldAuditThrottling(string client)
    {
        using var lease = _throttleNotices.AttemptAcquire(client, 1);
        return lease.IsAcquired;
    }

    public void Dispose()
    {
        _failures.Dispose();
        _throttleNotices.Dispose();
    }

    public static string RetryAfterHeader(TimeSpan retryAfter) =>
        Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
}
