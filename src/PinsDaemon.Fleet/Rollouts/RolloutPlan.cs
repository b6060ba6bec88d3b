using PinsDaemon.Contracts;
using PinsDaemon.Fleet.Agents;

namespace PinsDaemon.Fleet.Rollouts;

/// <summary>
/// The rollout's decisions as pure functions, so they are tested on their own: which group each
/// host is in, and, from a record, what happens next. The coordinator only gathers the inputs
/// (job results, reachability) and carries the decisions out.
/// </summary>
public static class RolloutPlan
{
    public const string MaxFailuresExceeded = "maxFailuresExceeded";

    public const string CancelledReason = "cancelled";

    /// <summary>The canaries (the first <paramref name="canary"/> hosts) are group 0, alone; then batches of <paramref name="batchSize"/>.</summary>
    public static IReadOnlyList<HostEntry> Entries(IReadOnlyList<string> hosts, int canary, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(canary);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var entries = new HostEntry[hosts.Count];
        var firstBatch = canary > 0 ? 1 : 0;
        for (var i = 0; i < hosts.Count; i++)
        {
            var group = i < canary ? 0 : firstBatch + ((i - canary) / batchSize);
            entries[i] = new HostEntry(hosts[i], group, HostRolloutState.Pending);
        }

        return entries;
    }

    /// <summary>
    /// The next step of a rollout: the record with any consequences applied (skipped hosts, the
    /// final status, the end time) and the hosts to start now. Groups go strictly one after the
    /// other: a group starts only when every host of the groups before it is final. Once failures
    /// exceed <c>maxFailures</c>, or on cancel, nothing more starts and every pending host is
    /// skipped; hosts already running finish on their own.
    /// </summary>
    public static RolloutStep Next(RolloutRecord record, DateTimeOffset now)
    {
        if (record.FinishedAt is not null)
        {
            return new RolloutStep(record, []);
        }

        var next = record;
        if (next.Status is RolloutStatus.Running or RolloutStatus.Paused && next.Failures > next.Spec.MaxFailures)
        {
            next = next with { Status = RolloutStatus.Failed, Reason = MaxFailuresExceeded };
        }

        if (next.Status is RolloutStatus.Failed or RolloutStatus.Cancelled && next.Hosts.Any(host => host.State == HostRolloutState.Pending))
        {
            var reason = next.Status == RolloutStatus.Cancelled ? CancelledReason : MaxFailuresExceeded;
            next = next with
            {
                Hosts = next.Hosts
                    .Select(host => host.State == HostRolloutState.Pending
                        ? host with { State = HostRolloutState.Skipped, Reason = reason, FinishedAt = now }
                        : host)
                    .ToArray(),
            };
        }

        if (next.Hosts.All(host => host.IsFinal))
        {
            var status = next.Status is RolloutStatus.Running or RolloutStatus.Paused ? RolloutStatus.Completed : next.Status;
            return new RolloutStep(next with { Status = status, FinishedAt = now }, []);
        }

        if (next.Status != RolloutStatus.Running)
        {
            return new RolloutStep(next, []);
        }

        var current = next.Hosts.Where(host => !host.IsFinal).Min(host => host.Group);
        var due = next.Hosts
            .Where(host => host.Group == current && host.State == HostRolloutState.Pending)
            .Select(host => host.Host)
            .ToArray();
        return new RolloutStep(next, due);
    }

    /// <summary>A host's outcome from its job's end: a job that did not succeed fails the host, with the job's reason.</summary>
    public static HostEntry Finish(HostEntry host, AgentJobState job, DateTimeOffset now)
    {
        var succeeded = job.Status == JobStatus.Succeeded;
        return host with
        {
            State = succeeded ? HostRolloutState.Succeeded : HostRolloutState.Failed,
            JobId = job.JobId,
            Reason = succeeded ? null : job.Reason ?? job.Status.WireName(),
            Message = job.Message,
            Step = null,
            FinishedAt = job.FinishedAt ?? now,
            RebootRequired = job.RebootRequired,
        };
    }

    /// <summary>Whether a host whose job just succeeded is to be rebooted before the rollout moves on.</summary>
    public static bool NeedsReboot(RolloutRequest spec, AgentJobState job) =>
        spec.Reboot == RebootPolicy.IfRequired && !spec.DryRun && job.Status == JobStatus.Succeeded && job.RebootRequired == true;
}

/// <summary>The record after a decision, and the hosts to start now.</summary>
public sealed record RolloutStep(RolloutRecord Record, IReadOnlyList<string> Dispatch);
