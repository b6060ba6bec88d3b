using PinsDaemon.Contracts;

namespace PinsDaemon.Actors.Streaming;

/// <summary>
/// What a <see cref="LogSubscriber"/> and the log that feeds it say to each other, and what it
/// hands to its connection. The log is the subscriber's parent; the subscriber knows it only as
/// <c>Context.Parent</c>, so this area depends on nothing above it.
/// </summary>
public static class StreamProtocol
{
    /// <summary>
    /// Sent by a subscriber to its log: "send me the lines after <paramref name="After"/>".
    /// The log answers with a replay <see cref="LogBatch"/>; once the subscriber has seen every
    /// line so far, the log instead registers it and pushes live batches from then on, or sends
    /// <see cref="LogEnd"/> if the job is over. The decision is taken inside the log actor, so
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
}
