using PinsDaemon.Contracts;

namespace PinsDaemon.Actors.Notifications;

/// <summary>What the HTTP endpoints ask the <see cref="NotificationDispatcher"/>.</summary>
public static class NotificationProtocol
{
    /// <summary>A job's deliveries; answered with <see cref="Deliveries"/>.</summary>
    public sealed record GetDeliveries(JobId JobId);

    /// <summary>The job's deliveries, oldest first; empty when none were due.</summary>
    public sealed record Deliveries(JobId JobId, IReadOnlyList<NotificationDelivery> Items);
}
