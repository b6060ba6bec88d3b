using Akka.Actor;
using PinsDaemon.Actors.Streaming;
using PinsDaemon.Contracts;

namespace PinsDaemon.Actors.Jobs;

/// <summary>
/// The messages of the jobs area: what the HTTP endpoints ask the <see cref="JobSupervisor"/>,
/// and what an <see cref="UpgradeJob"/> and its <see cref="LogSubscriber"/>s say to each other.
/// </summary>
public static class JobProtocol
{
    /// <summary>
    /// Start an upgrade run for <paramref name="Client"/> (an address, for the audit record).
    /// Answered with <see cref="JobStarted"/> or <see cref="JobRejected"/>.
    /// </summary>
    public sealed record StartJob(bool DryRun, string Client = "unknown");

    /// <summary>
    /// Ask a job to stop. Answered with <see cref="CancelAccepted"/>, <see cref="CancelRefused"/>
    /// or <see cref="JobNotFound"/>.
    /// </summary>
    public sealed record CancelJob(JobId JobId, string Client = "unknown");

    /// <summary>The script was asked to stop; the job ends <c>cancelled</c> once it has.</summary>
    public sealed record CancelAccepted(JobSnapshot Job) : ICancelJobReply;

    /// <summary>The job is not running, or dpkg is changing the system and must not be cut off.</summary>
    public sealed record CancelRefused(JobId JobId, string Reason) : ICancelJobReply;

    /// <summary>Adds an entry to a job's audit record (a refused attempt on it, say).</summary>
    public sealed record RecordAudit(AuditEntry Entry);

    /// <summary>The job was created and its process is being started.</summary>
    public sealed record JobStarted(JobSnapshot Job) : IStartJobReply;

    /// <summary>Another job is still running; apt cannot run twice.</summary>
    public sealed record JobRejected(JobId RunningJobId, string Reason) : IStartJobReply;

    /// <summary>Ask for one job. Answered with <see cref="JobFound"/> or <see cref="JobNotFound"/>.</summary>
    public sealed record GetJob(JobId JobId);

    public sealed record JobFound(JobSnapshot Job) : IGetJobReply;

    public sealed record JobNotFound(JobId JobId) : IGetJobReply, ICancelJobReply, IReadLogReply, IOpenLogStreamReply;

    /// <summary>Ask for every job. Answered with <see cref="JobList"/>, newest first.</summary>
    public sealed record ListJobs
    {
        public static readonly ListJobs Instance = new();
    }

    public sealed record JobList(IReadOnlyList<JobSnapshot> Jobs);

    /// <summary>
    /// Open a log stream for one connection: the supervisor spawns a <see cref="LogSubscriber"/>
    /// that feeds <paramref name="Output"/> with the lines after <paramref name="After"/>, then live
    /// lines, then the end. Answered with <see cref="LogStreamOpened"/> or <see cref="JobNotFound"/>.
    /// </summary>
    public sealed record OpenLogStream(JobId JobId, long After, LogStreamBuffer Output);

    /// <summary>The stream is open; stop <paramref name="Subscriber"/> when the connection ends.</summary>
    public sealed record LogStreamOpened(JobId JobId, IActorRef Subscriber) : IOpenLogStreamReply;

    /// <summary>
    /// Sent by a subscriber to its job: "send me the lines after <paramref name="After"/>".
    /// The job answers with a replay <see cref="LogBatch"/>; once the subscriber has seen every
    /// line so far, the job instead registers it and pushes live batches from then on, or sends
    /// <see cref="LogEnd"/> if the job is over. The decision is taken inside the job actor, so
    /// the hand-over from replay to live has no gap and no duplicate.
    /// </summary>
    public sealed record FetchLines(long After);

    /// <summary>
    /// Consecutive lines for a subscriber. <paramref name="Live"/> is false for a replay batch,
    /// after which the subscriber fetches again.
    /// </summary>
    public sealed record LogBatch(JobId JobId, IReadOnlyList<LogLine> Lines, bool Live)
    {
        /// <summary>
        /// On an empty replay batch: the lines up to here are lost (the stored log is incomplete),
        /// so the subscriber carries on after this seq.
        /// </summary>
        public long? SkipTo { get; init; }

        public long LastSeq => Lines.Count == 0 ? SkipTo ?? 0 : Lines[^1].Seq;

        /// <summary>On a live batch: the job's progress changed (sent between lines, with no seq).</summary>
        public JobProgress? Progress { get; init; }

        /// <summary>About the bytes the lines hold; what buffers are bounded by.</summary>
        public long Weight { get; } = Lines.Sum(static line => (long)line.Weight);
    }

    /// <summary>The answer to a fetch that found the subscriber caught up: live batches follow from here.</summary>
    public sealed record Live(JobId JobId, long LastSeq);

    /// <summary>The job is over and the subscriber has every line up to <paramref name="LastSeq"/>.</summary>
    public sealed record LogEnd(JobId JobId, JobStatus Status, int? ExitCode, long LastSeq, string? Message);

    /// <summary>
    /// Read up to <paramref name="Limit"/> lines after <paramref name="After"/> without subscribing
    /// (the REST view of the log). Answered with <see cref="LogPage"/> or <see cref="JobNotFound"/>.
    /// </summary>
    public sealed record ReadLog(JobId JobId, long After, int Limit);

    public sealed record LogPage(JobId JobId, IReadOnlyList<LogLine> Lines) : IReadLogReply;

    // The answers each request can get, as one type per request, so that an ask names what
    // it expects (Ask<IGetJobReply>) instead of taking any object.

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

    /// <summary>The answers to <see cref="ReadLog"/>.</summary>
    public interface IReadLogReply
    {
    }

    /// <summary>The answers to <see cref="OpenLogStream"/>.</summary>
    public interface IOpenLogStreamReply
    {
    }

    /// <summary>A job tells its parent its state changed (started, finished, or periodically while running).</summary>
    public sealed record JobUpdated(JobSnapshot Job);
}
