namespace PinsDaemon.Host.Notifications;

/// <summary>Where and when to send notifications (<c>Notifications:*</c>); none by default.</summary>
public sealed class NotificationOptions
{
    public const string SectionName = "Notifications";

    public List<NotificationTargetOptions> Targets { get; set; } = [];

    /// <summary>The delay before the second attempt; each further one doubles it, up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Attempts before a delivery is given up (20: about 13 hours with the default delays).</summary>
    public int MaxAttempts { get; set; } = 20;
}

/// <summary>One target: <c>Notifications:Targets:N:*</c>.</summary>
public sealed class NotificationTargetOptions
{
    /// <summary><c>webhook</c> or <c>ntfy</c>.</summary>
    public string? Kind { get; set; }

    public string? Url { get; set; }

    /// <summary>Any of <c>failed</c>, <c>succeeded</c>, <c>rebootRequired</c>, <c>updatesAvailable</c>.</summary>
    public List<string> Events { get; set; } = [];

    /// <summary>A webhook's signing secret (<c>whsec_</c> and base64), in a file only the daemon's user may read.</summary>
    public string? SecretFile { get; set; }

    /// <summary>An ntfy access token, sent as Bearer; optional.</summary>
    public string? TokenFile { get; set; }
}
