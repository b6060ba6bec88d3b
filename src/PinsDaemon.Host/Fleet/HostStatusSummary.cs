using PinsDaemon.Contracts;
using PinsDaemon.Fleet.Agents;
using PinsDaemon.Host.HostStatus;

namespace PinsDaemon.Host.Fleet;

/// <summary>
/// A host's part of <c>GET /fleet/hosts</c>: its own <c>GET /host</c>, cut down to what a fleet
/// view shows, so both always agree. The reader is taken when first asked: it needs the actor
/// system, which is still being built when the fleet's actors are configured.
/// </summary>
internal sealed class HostStatusSummary(Lazy<HostStatusReader> reader, bool rebootAllowed) : IHostSummarySource
{
    public async Task<FleetHostSummary> GetAsync(CancellationToken cancellationToken) =>
        await reader.Value.ReadAsync(cancellationToken) is { } status
            ? From(status, rebootAllowed)
            // The agent answers without a summary; the member list still shows the host.
            : throw new TimeoutException("The job supervisor did not answer in time.");

    public static FleetHostSummary From(Contracts.HostStatus status, bool rebootAllowed) => new(
        status.PendingUpdates?.Count,
        status.PendingUpdates?.SecurityCount,
        status.PendingUpdates?.CheckedAt,
        status.RebootRequired,
        status.LastSuccessfulApply?.FinishedAt,
        status.RunningJob?.JobId.ToString(),
        rebootAllowed);
}
