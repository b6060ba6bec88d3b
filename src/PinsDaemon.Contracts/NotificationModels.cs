namespace PinsDaemon.Contracts;

/// <summary>
/// One notification of a job to one target, as <c>GET /jobs/{id}</c> reports it under
/// <c>notifications</c>. Every attempt counts; the target is shown without secrets (no user
/// info, query or fragment).
/// </summary>
/// <param name="Target">The target's kind and address, e.g. <c>webhook https://hooks.example/pins</c>.</param>
/// <param name="Event">One of <see cref="NotificationEvents.All"/>.</param>
/// <param name="Status">One of <see cref="NotificationStatuses.All"/>.</param>
/// <param name="LastError">Why the last attempt failed (an HTTP status or a connection error); null after a delivery.</param>
public sealed record NotificationDelivery(
    string Target,
    string Event,
    string Status,
    int Attempts,
    DateTimeOffset? LastAttemptAt,
    string? LastError);

/// <summary>The events a target can ask for (<c>Notifications:Targets:N:Events</c>).</summary>
public static class NotificationEvents
{
    /// <summary>A job ended failed, timed out or interrupted (not cancelled: someone asked for that).</summary>
    public const string Failed = "failed";

    /// <summary>A job ended succeeded, dry runs included.</summary>
    public const string Succeeded = "succeeded";

    /// <summary>A succeeded apply left the machine needing a reboot.</summary>
    public const string RebootRequired = "rebootRequired";

    /// <summary>A succeeded dry run found pending updates that differ from the last ones notified.</summary>
    public const string UpdatesAvailable = "updatesAvailable";

    public static readonly IReadOnlyList<string> All = [Failed, Succeeded, RebootRequired, UpdatesAvailable];
}

/// <summary>Where a notification is: waiting for its first or next attempt, delivered (a 2xx answer), or given up.</summary>
public static class NotificationStatuses
{
    public const string Pending = "pending";

    public const string Delivered = "delivered";

    public const string Failed = "failed";

    public static readonly IReadOnlyList<string> All = [Pending, Delivered, Failed];
}
