using PinsDaemon.Contracts;
using PinsDaemon.Fleet.Serialization;

namespace PinsDaemon.Fleet.Agents;

/// <summary>
/// What the coordinator and the API's merged log ask a node's <see cref="HostAgent"/>, and its
/// answers. Every message may cross the network; none carries a command: the agent can only start
/// the upgrade (its own fixed script) through its own job supervisor.
/// </summary>
public static class AgentProtocol
{
    /// <summary>The agent's path on every node.</summary>
    public const string ActorName = "fleet-agent";

    /// <summary>Who are you? Answered with <see cref="Identity"/>.</summary>
    public sealed record Identify : IFleetMessage
    {
        public static readonly Identify Instance = new();
    }

    public sealed record Identity(string Name, bool RebootAllowed) : IFleetMessage;

    /// <summary>
    /// Start this node's part of a rollout. Idempotent on the rollout: a second request for the same
    /// rollout answers with the job the first one started and starts nothing. Answered with
    /// <see cref="JobStartedForRollout"/> or <see cref="JobRefusedForRollout"/>. <paramref name="Mode"/>
    /// and <paramref name="Autoremove"/> default as a node from before modes existed sent them.
    /// </summary>
    public sealed record StartRolloutJob(string RolloutId, bool DryRun, string Mode = UpgradeModes.Upgrade, bool Autoremove = false) : IFleetMessage;

    public sealed record JobStartedForRollout(string RolloutId, JobId JobId) : IFleetMessage;

    /// <summary><paramref name="Reason"/>: <c>busy</c> (another job runs), <c>startFailed</c>, <c>badRequest</c>.</summary>
    public sealed record JobRefusedForRollout(string RolloutId, string Reason, string Message) : IFleetMessage;

    /// <summary>How is this node's job of the rollout going? Answered with <see cref="RolloutJobState"/>, <see cref="RolloutJobUnknown"/> or <see cref="RolloutJobLost"/>.</summary>
    public sealed record GetRolloutJob(string RolloutId) : IFleetMessage;

    public sealed record RolloutJobState(string RolloutId, AgentJobState Job) : IFleetMessage;

    /// <summary>This node never heard of the rollout: no job was started for it here.</summary>
    public sealed record RolloutJobUnknown(string RolloutId) : IFleetMessage;

    /// <summary>A job may have been started for the rollout, but which is unknown (the daemon stopped mid-start): never start another.</summary>
    public sealed record RolloutJobLost(string RolloutId, string Message) : IFleetMessage;

    /// <summary>Cancel this node's job of the rollout (refused by the job itself once dpkg runs). No answer.</summary>
    public sealed record CancelRolloutJob(string RolloutId) : IFleetMessage;

    /// <summary>Reboot now, for the rollout. Answered with <see cref="RebootScheduled"/> or <see cref="RebootRefused"/>.</summary>
    public sealed record RequestReboot(string RolloutId) : IFleetMessage;

    public sealed record RebootScheduled(string RolloutId) : IFleetMessage;

    public sealed record RebootRefused(string RolloutId, string Reason, string Message) : IFleetMessage;

    /// <summary>Answered with <see cref="HostSummaryReport"/>.</summary>
    public sealed record GetHostSummary : IFleetMessage
    {
        public static readonly GetHostSummary Instance = new();
    }

    public sealed record HostSummaryReport(string Name, FleetHostSummary Summary) : IFleetMessage;

    /// <summary>What a <see cref="ReadJobLog"/> is answered with.</summary>
    public interface IJobLogReply : IFleetMessage;

    /// <summary>
    /// Lines of a job after <paramref name="After"/>, at most about <paramref name="MaxBytes"/> of
    /// text (at least one line). Answered with <see cref="JobLogChunk"/> or <see cref="JobLogUnavailable"/>.
    /// </summary>
    public sealed record ReadJobLog(JobId JobId, long After, int MaxBytes) : IFleetMessage;

    /// <param name="Job">The job's state taken before the lines were read: when it is final and the lines reach its line count, the log is complete.</param>
    public sealed record JobLogChunk(AgentJobState Job, IReadOnlyList<RemoteLine> Lines) : IJobLogReply;

    public sealed record JobLogUnavailable(JobId JobId) : IJobLogReply;
}

/// <summary>The part of a job's state the fleet needs.</summary>
public sealed record AgentJobState(
    JobId JobId,
    JobStatus Status,
    int? ExitCode,
    long LineCount,
    string? Reason,
    string? Message,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    bool? RebootRequired,
    JobProgress? Progress) : IFleetMessage
{
    public static AgentJobState From(JobSnapshot job) => new(
        job.JobId, job.Status, job.ExitCode, job.LineCount, job.Reason, job.Message, job.StartedAt, job.FinishedAt, job.RebootRequired, job.Progress);
}

/// <summary>One log line as it travels between nodes.</summary>
public sealed record RemoteLine(long Seq, LogStream Stream, DateTimeOffset Time, string Text) : IFleetMessage;
