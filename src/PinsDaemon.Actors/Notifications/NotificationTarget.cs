using System.Security.Cryptography;
using System.Text;

namespace PinsDaemon.Actors.Notifications;

/// <summary>
/// One validated target of <c>Notifications:Targets</c>: where to send, which events, and its
/// credentials (the webhook's signing key, ntfy's access token), already read from their files.
/// </summary>
/// <param name="Kind"><see cref="Webhook"/> or <see cref="Ntfy"/>.</param>
/// <param name="SigningKey">The base64-decoded part of the <c>whsec_</c> secret; webhooks only.</param>
/// <param name="AccessToken">ntfy's access token (sent as Bearer); optional, ntfy only.</param>
public sealed record NotificationTarget(string Kind, Uri Url, IReadOnlySet<string> Events, byte[]? SigningKey, string? AccessToken)
{
    public const string Webhook = "webhook";

    public const string Ntfy = "ntfy";

    /// <summary>
    /// Stable across restarts and re-ordered settings (a hash of kind and address), so a queued
    /// delivery finds its target again and its event id stays the same.
    /// </summary>
    public string Key => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{Kind}|{Url.AbsoluteUri}")))[..16];

    /// <summary>
    /// The target as shown in the API and the log: its scheme and server only, and the first
    /// characters of <see cref="Key"/> to tell two targets on one server apart. Everything after
    /// the server may be a secret: user info and query strings, and paths too (a Slack or Discord
    /// webhook's path is its token; an ntfy topic's name is what lets anyone read or post to it).
    /// </summary>
    public string Display => $"{Kind} {Url.GetComponents(UriComponents.SchemeAndServer, UriFormat.UriEscaped)}{(Url.AbsolutePath is "/" ? string.Empty : "/…")} ({Key[..8]})";
}

/// <summary>Everything the <see cref="NotificationDispatcher"/> needs from the settings.</summary>
/// <param name="Directory">Where the queue lives (<c>notifications/</c> in the storage directory).</param>
/// <param name="HostName">The machine's name, as the notifications name it.</param>
public sealed record NotificationSettings(
    IReadOnlyList<NotificationTarget> Targets,
    string Directory,
    string HostName,
    TimeSpan FirstRetryDelay,
    TimeSpan MaxRetryDelay,
    int MaxAttempts)
{
    /// <summary>
    /// Deliveries kept, pending or not: with a few targets and events per job this is hundreds
    /// of jobs of status, and a receiver down for weeks cannot fill the disk.
    /// </summary>
    public int MaxDeliveries { get; init; } = 1000;

    /// <summary>The delay before attempt <paramref name="attempts"/> + 1: doubling from the first delay, capped.</summary>
    public TimeSpan RetryDelay(int attempts)
    {
        var exponent = Math.Clamp(attempts - 1, 0, 30);
        var ticks = Math.Min(FirstRetryDelay.Ticks * (double)(1L << exponent), MaxRetryDelay.Ticks);
        return TimeSpan.FromTicks((long)ticks);
    }
}
