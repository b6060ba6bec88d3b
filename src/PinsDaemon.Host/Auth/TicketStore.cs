using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace PinsDaemon.Host.Auth;

/// <summary>
/// Single-use WebSocket tickets: a browser cannot put the token in a header, and a token in a
/// URL ends up in histories and proxy logs. A ticket opens one log stream (a job's, or a
/// rollout's merged log), once, within <see cref="Lifetime"/>. Only a hash of each ticket is kept.
/// A ticket issued to a page session works only while that session is live: signing out ends
/// its tickets too.
/// </summary>
public sealed class TicketStore(TimeProvider clock, SessionStore? sessions = null)
{
    /// <summary>Long enough to open a socket right after asking, short enough that a leaked ticket is useless.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);

    /// <summary>Outstanding tickets at most; each is ~100 bytes, so this caps the store at ~100 KiB.</summary>
    public const int MaxOutstanding = 1000;

    private readonly ConcurrentDictionary<string, Entry> _tickets = new(StringComparer.Ordinal);

    /// <summary>A new ticket for <paramref name="stream"/> (its path, e.g. <c>/logs/{id}</c>), or null when too many are outstanding.</summary>
    /// <param name="stream">The stream's path.</param>
    /// <param name="session">The id of the page session asking, or null for a bearer-token client.</param>
    public IssuedTicket? Issue(string stream, string? session = null)
    {
        var now = clock.GetUtcNow();
        if (_tickets.Count >= MaxOutstanding)
        {
            foreach (var (key, entry) in _tickets)
            {
                if (entry.ExpiresAt <= now)
                {
                    _tickets.TryRemove(key, out _);
                }
            }

            if (_tickets.Count >= MaxOutstanding)
            {
                return null;
            }
        }

        var ticket = Convert.ToHexString(RandomNumberGenerator.GetBytes(32)).ToLowerInvariant();
        var expiresAt = now + Lifetime;
        _tickets[Hash(ticket)] = new Entry(stream, expiresAt, session);
        return new IssuedTicket(ticket, expiresAt);
    }

    /// <summary>Consumes the ticket: true once, for its stream, before it expires.</summary>
    public bool Redeem(string? ticket, string stream)
    {
        if (string.IsNullOrEmpty(ticket) || ticket.Length > 256)
        {
            return false;
        }

        // Removed whatever the outcome: a ticket presented for the wrong stream is burnt too.
        return _tickets.TryRemove(Hash(ticket), out var entry)
            && string.Equals(entry.Stream, stream, StringComparison.Ordinal)
            && entry.ExpiresAt > clock.GetUtcNow()
            && (entry.Session is null || sessions?.IsLive(entry.Session) == true);
    }

    private static string Hash(string ticket) => Convert.ToHexString(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(ticket)));

    private sealed record Entry(string Stream, DateTimeOffset ExpiresAt, string? Session);
}

public sealed record IssuedTicket(string Ticket, DateTimeOffset ExpiresAt);
