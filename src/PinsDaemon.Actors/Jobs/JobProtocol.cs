using PinsDaemon.Actors.Logs;
using PinsDaemon.Contracts;

namespace PinsDaemon.Actors.Jobs;

/// <summary>
/// The messages of the jobs area: what the HTTP endpoints ask the <see cref="JobSupervisor"/>,
/// and what a job tells it. A job's log has its own (<see cref="Logs.LogProtocol"/>), routed by
/// the supervisor and the job.
/// </summary>
public static class JobProtocol
{
    /// <summary>
    /// Start an upgrade run for <paramref name="Client"/> (an address, for the audit record).
    /// Answered with <see cref="JobStarted"/> or <see cref="JobRejected"/>.
    /// </summary>
    public sealed record StartJob(bool DryRun, string Client = "unknown")
    {
        /// <summary><c>upgrade</c> or <c>full-upgrade</c> (<see cref="UpgradeModes"/>).</summary>
        public string Mode { get; init; } = UpgradeModes.Upgrade;

        /// <summary>Remove what is no longer needed after a successful upgrade.</summary>
        public bool Autoremove { get; init; }

        /// <summary>What asks: <c>api</c> or <c>schedule</c> (<see cref="JobTriggers"/>).</summary>
        public string Trigger { get; init; } = JobTriggers.Api;
    }

    /// <summary>
    /// Ask a job to stop. Answered with <see cref="CancelAccepted"/>, <see cref="CancelRefused"/>
    /// or <see cref="JobNotFound"/>.
    /// </summary>
    public sealed record CancelJob(JobId JobId, string Client = "unknown");

    /// <summary>The run was asked to stop; the job ends <c>cancelled</c> once it has (the run decides).</summary>
    public sealed record CancelAccepted(JobSnapshot Job) : ICancelJobReply;

    /// <summary>The job is not running, or dpkg is changing the system and must not be cut off.</summary>
    public sealed record CancelRefused(JobId JobId, string Reason) : ICancelJobReply;

    /// <summary>Adds an entry to a job's audit record (a refused attempt on it, say).</summary>
    public sealed record RecordAudit(AuditEntry Entry);

    /// <summary>The job was created and its process is being started.</summary>
    public sealed record JobStarted(JobSnapshot Job) : IStartJobReply;

    /// <summary>Another job is still running; apt cannot run twice.</summary>
    public sealed record JobRejected(JobId RunningJobId, string Reason) : IStartJobReply;

    /// <summary>No job starts while a reboot is scheduled: it would be cut off.</summary>
    public sealed record StartRefusedForReboot(DateTimeOffset RebootAt) : IStartJobReply;

    /// <summary>
    /// Schedule a reboot in one minute, or cancel a scheduled one. Answered with
    /// <see cref="RebootDone"/>, <see cref="RebootRefused"/> or <see cref="RebootFailed"/>.
    /// </summary>
    public sealed record RequestReboot(bool Cancel);

    /// <summary>The reboot was scheduled for <paramref name="RebootAt"/> (null: a scheduled one was cancelled).</summary>
    public sealed record RebootDone(DateTimeOffset? RebootAt) : IRebootReply;

    /// <summary>A job runs (<paramref name="RunningJobId"/>), or a reboot is already scheduled.</summary>
    public sealed record RebootRefused(JobId? RunningJobId, string Reason) : IRebootReply;

    /// <summary>The root script failed: its exit code and what it said.</summary>
    public sealed record RebootFailed(int ExitCode, string Output) : IRebootReply;

    /// <summary>Ask when a scheduled reboot is due. Answered with <see cref="RebootSchedule"/>.</summary>
    public sealed record GetRebootSchedule
    {
        public static readonly GetRebootSchedule Instance = new();
    }

    /// <summary>When the reboot this daemon scheduled is due; null when none is (or it is long past).</summary>
    public sealed record RebootSchedule(DateTimeOffset? RebootAt);

    /// <summary>The answers to <see cref="RequestReboot"/>.</summary>
    public interface IRebootReply
    {
    }

    /// <summary>Ask for one job. Answered with <see cref="JobFound"/> or <see cref="JobNotFound"/>.</summary>
    public sealed record GetJob(JobId JobId);

    public sealed record JobFound(JobSnapshot Job) : IGetJobReply;

    public sealed record JobNotFound(JobId JobId) : IGetJobReply, ICancelJobReply, LogProtocol.IReadLogReply, LogProtocol.IOpenLogStreamReply;

    /// <summary>Ask for every job. Answered with <see cref="JobList"/>, newest first.</summary>
    public sealed record ListJobs
    {
        public static readonly ListJobs Instance = new();
    }

    public sealed record JobList(IReadOnlyList<JobSnapshot> Jobs);

    // The answers each request can get, as one type per request, so that an ask names what
    // it expects (Ask<IGetJobReply>) instead of taking any object. The log's requests have
    // theirs in LogProtocol; JobNotFound answers those too, from the supervisor.

    /// <summary>The answers to <see cref="StartJob"/>.</summary>
    public interface IStartJobReply
    {
    }

    /// <summary>The answers to <see cref="GetJob"/>.</summary>
    public interface IGetJobReply
    {
    }

    /// <summary>The answers to <see cref="CancelJob"/>.</summary>
    public interface ICancelJobReply
    {
    }

    /// <summary>
    /// Published on the actor system's event stream when a job this daemon ran has ended (not for
    /// jobs restored from disk), once per job: what metrics and notifications listen to.
    /// </summary>
    public sealed record JobFinished(JobSnapshot Job);

    /// <summary>A job tells its parent its state changed (started, finished, or periodically while running).</summary>
    public sealed record JobUpdated(JobSnapshot Job);
}
