using System.Runtime.InteropServices;
using Akka.Hosting;
using Microsoft.Extensions.Options;
using PinsDaemon.Actors.Jobs;
using PinsDaemon.Contracts;
using PinsDaemon.Host.Endpoints;

namespace PinsDaemon.Host.HostStatus;

/// <summary>Puts <c>GET /host</c> together: the machine's own facts and what the job history says.</summary>
internal sealed class HostStatusReader(HostFacts facts, DpkgHolds holds, IRequiredActor<JobSupervisor> jobs, IOptions<HostStatusOptions> options)
{
    /// <summary>The jobs the supervisor knows, or null when it did not answer in time.</summary>
    public async Task<IReadOnlyList<JobSnapshot>?> ListJobsAsync(CancellationToken cancellationToken) =>
        (await jobs.ActorRef.TryAskAsync<JobProtocol.JobList>(JobProtocol.ListJobs.Instance, cancellationToken))?.Jobs;

    /// <summary>The host's status, or null when the job supervisor did not answer in time.</summary>
    public async Task<Contracts.HostStatus?> ReadAsync(CancellationToken cancellationToken)
    {
        if (await ListJobsAsync(cancellationToken) is not { } history
            || await jobs.ActorRef.TryAskAsync<JobProtocol.RebootSchedule>(JobProtocol.GetRebootSchedule.Instance, cancellationToken) is not { } reboot)
        {
            return null;
        }

        var uptime = facts.ReadUptimeSeconds();
        var rebootRequired = facts.RebootRequired();
        return new Contracts.HostStatus(
            facts.ReadOsRelease(),
            facts.ReadKernel(),
            HostFacts.DebianArchitecture(RuntimeInformation.OSArchitecture),
            facts.ReadBootId(),
            facts.BootedAt(uptime),
            uptime,
            rebootRequired,
            rebootRequired ? facts.RebootRequiredPackages() : null,
            JobHistorySummary.LastSuccessfulApply(history),
            JobHistorySummary.Running(history),
            JobHistorySummary.Pending(history.ToArray(), await holds.ReadAsync(cancellationToken)))
        {
            RebootScheduledAt = reboot.RebootAt,
            RebootAllowed = options.Value.AllowReboot,
        };
    }
}
