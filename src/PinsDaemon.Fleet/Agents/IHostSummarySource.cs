using PinsDaemon.Contracts;

namespace PinsDaemon.Fleet.Agents;

/// <summary>
/// Where a host's summary for <c>GET /fleet/hosts</c> comes from: the daemon gives its own
/// <c>GET /host</c> (this project has no web dependency, so the host supplies it).
/// </summary>
public interface IHostSummarySource
{
    Task<FleetHostSummary> GetAsync(CancellationToken cancellationToken);
}

/// <summary>
/// A seam for rebooting the host for a rollout (<c>reboot: "ifRequired"</c>). A host that has none
/// refuses reboots, and its rollouts go on without rebooting it.
/// </summary>
public interface IRebootRequester
{
    /// <summary>Schedules the reboot; completes once it is scheduled, not when it happens.</summary>
    Task RequestAsync(string rolloutId, CancellationToken cancellationToken);
}
