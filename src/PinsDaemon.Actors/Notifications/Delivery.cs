using PinsDaemon.Contracts;

namespace PinsDaemon.Actors.Notifications;

/// <summary>
/// One event for one target, as queued on disk (<c>notifications/{Id}.json</c>): the body is
/// fixed when the event happens, so every attempt sends the same bytes under the same id.
/// </summary>
/// <param name="Id">The event id, <c>webhook-id</c> (<see cref="NotificationRules.DeliveryId"/>).</param>
/// <param name="TargetKey">The target's <see cref="NotificationTarget.Key"/>.</param>
/// <param name="Target">The target as shown (<see cref="NotificationTarget.Display"/>).</param>
public sealed record Delivery(string Id, JobId JobId, string Event, string TargetKey, string Target, string Body, DateTimeOffset CreatedAt)
{
    public string Status { get; init; } = NotificationStatuses.Pending;

    public int Attempts { get; init; }

    public DateTimeOffset? LastAttemptAt { get; init; }

    public string? LastError { get; init; }

    /// <summary>When a pending delivery is tried next.</summary>
    public DateTimeOffset? NextAttemptAt { get; init; }

    public NotificationDelivery View() => new(Target, Event, Status, Attempts, LastAttemptAt, LastError);
}
