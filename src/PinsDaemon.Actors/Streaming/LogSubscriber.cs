using Akka.Actor;
using Akka.Event;
using PinsDaemon.Actors.Jobs;

namespace PinsDaemon.Actors.Streaming;

/// <summary>
/// One per WebSocket connection. Pulls the lines the connection missed from its
/// <see cref="UpgradeJob"/> at the pace the connection drains them, then receives live lines,
/// and hands everything to the connection's send loop through a <see cref="LogStreamBuffer"/>.
/// It never touches a socket. A connection that cannot keep up with live lines is dropped
/// rather than allowed to slow the job or hold unbounded memory.
/// </summary>
public sealed class LogSubscriber : ReceiveActor
{
    private readonly IActorRef _job;
    private readonly LogStreamBuffer _output;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private long _after;

    public LogSubscriber(IActorRef job, long after, LogStreamBuffer output)
    {
        _job = job;
        _after = after;
        _output = output;

        Receive<JobProtocol.LogBatch>(HandleBatch);
        Receive<SpaceAvailable>(HandleSpaceAvailable);
        Receive<JobProtocol.LogEnd>(HandleEnd);
        Receive<JobGone>(_ => CloseAndStop(LogStreamClosedReason.JobGone));
    }

    public static Props Props(IActorRef job, long after, LogStreamBuffer output) =>
        Akka.Actor.Props.Create(() => new LogSubscriber(job, after, output));

    protected override void PreStart()
    {
        Context.WatchWith(_job, JobGone.Instance);
        _job.Tell(new JobProtocol.FetchLines(_after));
    }

    protected override void PostStop()
    {
        // Whatever stopped us (the connection closed, the daemon is stopping), the reader must
        // not wait forever. A no-op if the stream already ended.
        _output.Close(LogStreamClosedReason.ShuttingDown);
    }

    private void HandleBatch(JobProtocol.LogBatch batch)
    {
        if (_output.IsClosed)
        {
            Context.Stop(Self);
            return;
        }

        if (batch.Lines.Count == 0 || _output.TryWrite(batch))
        {
            Advance(batch);
            return;
        }

        if (batch.Live)
        {
            _log.Info("Dropping log subscriber of job {0}: its connection fell {1} bytes behind", batch.JobId, _output.Weight);
            CloseAndStop(LogStreamClosedReason.TooSlow);
            return;
        }

        // Replay is pulled, so a full buffer just means "wait for the reader": nothing is lost.
        var self = Self;
        _output.WhenSpaceAsync().PipeTo(self, success: () => new SpaceAvailable(batch));
    }

    private void HandleSpaceAvailable(SpaceAvailable message) => HandleBatch(message.Batch);

    private void Advance(JobProtocol.LogBatch batch)
    {
        _after = Math.Max(_after, batch.LastSeq);

        if (!batch.Live)
        {
            _job.Tell(new JobProtocol.FetchLines(_after));
        }
    }

    private void HandleEnd(JobProtocol.LogEnd end)
    {
        _output.Complete(end);
        Context.Stop(Self);
    }

    private void CloseAndStop(LogStreamClosedReason reason)
    {
        _output.Close(reason);
        Context.Stop(Self);
    }

    private sealed record SpaceAvailable(JobProtocol.LogBatch Batch);

    private sealed record JobGone
    {
        public static readonly JobGone Instance = new();
    }
}
