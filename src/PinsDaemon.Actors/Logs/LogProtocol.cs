using Akka.Actor;
using PinsDaemon.Actors.Processes;
using PinsDaemon.Actors.Runs;
using PinsDaemon.Actors.Streaming;
using PinsDaemon.Contracts;

namespace PinsDaemon.Actors.Logs;

/// <summary>
/// The messages of a job's log (<see cref="JobLog"/>): what its job tells it, what the
/// endpoints ask it (routed by the supervisor and the job), and what it tells its job.
/// </summary>
public static class LogProtocol
{
    /// <summary>
    /// New output of the run, in order, and the run position after it. The log numbers the
    /// lines, stores them, and publishes them once stored.
    /// </summary>
    public sealed record Append(IReadOnlyList<OutputLine> Lines, RunPosition After);

    /// <summary>The job's progress changed: pushed to live subscribers between lines.</summary>
    public sealed record Progress(JobProgress Value);

    /// <summary>The run is over: once every line is stored, subscribers get the end. Answered with <see cref="Completed"/>.</summary>
    public sealed record Complete(JobStatus Status, int? ExitCode, string? Message);

    /// <summary>Every line is stored (or as much as could be); the log ends at <paramref name="LastSeq"/>.</summary>
    public sealed record Completed(long LastSeq, bool LogIncomplete);

    /// <summary>
    /// A newer job has started: a finished job gives its window of recent lines back at once
    /// (its lines are all on disk), so the daemon holds one job's window, not one per job run in
    /// the last seconds. Sent by the supervisor to every other job, forwarded to its log.
    /// </summary>
    public sealed record ReleaseWindow
    {
        public static readonly ReleaseWindow Instance = new();

        private ReleaseWindow()
        {
        }
    }

    /// <summary>Told to the job whenever more lines are published, for its line count.</summary>
    public sealed record Published(long LastSeq, bool LogIncomplete);

    /// <summary>
    /// Open a log stream for one connection: the log spawns a <see cref="LogSubscriber"/> child
    /// that feeds <paramref name="Output"/> with the lines after <paramref name="After"/>, then
    /// live lines, then the end. Answered with <see cref="LogStreamOpened"/> (or, from the
    /// supervisor, <c>JobNotFound</c>).
    /// </summary>
    public sealed record OpenLogStream(JobId JobId, long After, LogStreamBuffer Output);

    /// <summary>The stream is open; stop <paramref name="Subscriber"/> when the connection ends.</summary>
    public sealed record LogStreamOpened(JobId JobId, IActorRef Subscriber) : IOpenLogStreamReply;

    /// <summary>
    /// Read the lines after <paramref name="After"/> without subscribing (the REST view of the
    /// log): at most <paramref name="Limit"/> of them, and no more than <paramref name="MaxBytes"/>
    /// of frames in all (the first line always comes, whatever its size). Answered with
    /// <see cref="LogPage"/> (or <c>JobNotFound</c>).
    /// </summary>
    public sealed record ReadLog(JobId JobId, long After, int Limit, int MaxBytes);

    /// <summary>
    /// One page of lines; <paramref name="More"/> when published lines follow the last one
    /// (the page stopped at its limit or its byte budget).
    /// </summary>
    public sealed record LogPage(JobId JobId, IReadOnlyList<LogLine> Lines, bool More) : IReadLogReply;

    // The answers each request can get, as one type per request, so that an ask names what it
    // expects (Ask<IReadLogReply>) instead of taking any object.

    /// <summary>The answers to <see cref="ReadLog"/>.</summary>
    public interface IReadLogReply
    {
    }

    /// <summary>The answers to <see cref="OpenLogStream"/>.</summary>
    public interface IOpenLogStreamReply
    {
    }
}
