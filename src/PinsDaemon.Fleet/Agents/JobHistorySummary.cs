using Akka.Actor;
using PinsDaemon.Actors.Jobs;
using PinsDaemon.Contracts;

namespace PinsDaemon.Fleet.Agents;

/// <summary>A host's summary from its own job history and <c>/run/reboot-required</c>.</summary>
public sealed class JobHistorySummary(IActorRef jobs, bool rebootAllowed, string rebootRequiredFile = "/run/reboot-required") : IHostSummarySource
{
    /// <summary>The supervisor answers from memory; longer means it is wedged, and the host shows no summary.</summary>
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(5);

    public async Task<FleetHostSummary> GetAsync(CancellationToken cancellationToken)
    {
        var list = await jobs.Ask<JobProtocol.JobList>(JobProtocol.ListJobs.Instance, AskTimeout, cancellationToken).ConfigureAwait(false);
        return Summarise(list.Jobs, File.Exists(rebootRequiredFile), rebootAllowed);
    }

    /// <param name="jobs">Newest first, as the supervisor lists them.</param>
    public static FleetHostSummary Summarise(IReadOnlyList<JobSnapshot> jobs, bool rebootRequired, bool rebootAllowed)
    {
        var lastCheck = jobs.FirstOrDefault(job => job.DryRun && job.Status == JobStatus.Succeeded && job.Plan is not null);
        var lastApply = jobs.FirstOrDefault(job => !job.DryRun && job.Status == JobStatus.Succeeded);
        var running = jobs.FirstOrDefault(job => job.Status == JobStatus.Running);
        return new FleetHostSummary(
            lastCheck?.Plan?.Count(entry => entry.Action == "upgrade"),
            lastCheck?.FinishedAt,
            rebootRequired,
            lastApply?.FinishedAt,
            running?.JobId.ToString(),
            rebootAllowed);
    }
}
