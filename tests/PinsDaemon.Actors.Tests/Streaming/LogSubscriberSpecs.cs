using Akka.Actor;
using Akka.Event;
using Akka.TestKit.Xunit2;
using PinsDaemon.Actors.Streaming;
using PinsDaemon.Actors.Tests.TestSupport;
using PinsDaemon.Contracts;
using Xunit;

namespace PinsDaemon.Actors.Tests.Streaming;

/// <summary>One connection's subscriber, under a real parent (the test actor, standing in for the job's log).</summary>
public sealed class LogSubscriberSpecs : TestKit
{
    private static readonly JobId Id = JobId.New();

    private static LogLine[] Lines(long from, int count) =>
        Enumerable.Range(0, count).Select(i => new LogLine(from + i, LogStream.Stdout, DateTimeOffset.UnixEpoch, $"line {from + i}")).ToArray();

    [Fact]
    public async Task Should_fetch_from_its_log_then_go_live_without_a_dead_letter()
    {
        var buffer = new LogStreamBuffer();
        var subscriber = ChildActorOf(LogSubscriber.Props(after: 5, buffer));
        Assert.Equal(5, (await ExpectMsgAsync<StreamProtocol.FetchLines>()).After);

        var unhandled = CreateTestProbe();
        Sys.EventStream.Subscribe(unhandled.Ref, typeof(UnhandledMessage));
        subscriber.Tell(new StreamProtocol.Live(Id, 5));
        subscriber.Tell(new StreamProtocol.LogBatch(Id, Lines(6, 2), Live: true));
        await AwaitConditionAsync(() => Task.FromResult(buffer.Weight > 0));
        // Every message was handled: none went to the dead letters as unhandled.
        await unhandled.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));

        subscriber.Tell(new StreamProtocol.LogEnd(Id, JobStatus.Succeeded, 0, 7, null));
        var (lines, end, closed) = await StreamDrain.ReadToEndAsync(buffer);
        Assert.Equal([6L, 7L], lines.Select(l => l.Seq));
        Assert.Equal(JobStatus.Succeeded, end!.Status);
        Assert.Null(closed);
    }

    [Fact]
    public async Task Should_fetch_again_after_each_replay_batch_and_skip_what_it_already_has()
    {
        var buffer = new LogStreamBuffer();
        var subscriber = ChildActorOf(LogSubscriber.Props(after: 0, buffer));
        await ExpectMsgAsync<StreamProtocol.FetchLines>();
        subscriber.Tell(new StreamProtocol.LogBatch(Id, Lines(1, 3), Live: false));
        Assert.Equal(3, (await ExpectMsgAsync<StreamProtocol.FetchLines>()).After);

        // Overlapping replay: only the lines after 3 go to the connection.
        subscriber.Tell(new StreamProtocol.LogBatch(Id, Lines(2, 4), Live: false));
        Assert.Equal(5, (await ExpectMsgAsync<StreamProtocol.FetchLines>()).After);
        // A live batch after a gap is dropped: the gap is fetched instead.
        subscriber.Tell(new StreamProtocol.Live(Id, 5));
        subscriber.Tell(new StreamProtocol.LogBatch(Id, Lines(8, 1), Live: true));
        subscriber.Tell(new StreamProtocol.LogEnd(Id, JobStatus.Succeeded, 0, 8, null));
        Assert.Equal(5, (await ExpectMsgAsync<StreamProtocol.FetchLines>()).After);
        subscriber.Tell(new StreamProtocol.LogBatch(Id, Lines(6, 3), Live: false));
        await ExpectMsgAsync<StreamProtocol.FetchLines>();
        subscriber.Tell(new StreamProtocol.LogEnd(Id, JobStatus.Succeeded, 0, 8, null));

        var (lines, _, _) = await StreamDrain.ReadToEndAsync(buffer);
        StreamDrain.AssertComplete(lines, 8);
    }

    [Fact]
    public async Task Should_close_a_connection_that_takes_nothing_as_too_slow()
    {
        var buffer = new LogStreamBuffer(maxWeight: 1, stallTimeout: TimeSpan.FromMilliseconds(300));
        var subscriber = ChildActorOf(LogSubscriber.Props(after: 0, buffer));
        Watch(subscriber);
        await ExpectMsgAsync<StreamProtocol.FetchLines>();
        subscriber.Tell(new StreamProtocol.LogBatch(Id, Lines(1, 1), Live: false));
        await ExpectMsgAsync<StreamProtocol.FetchLines>();
        subscriber.Tell(new StreamProtocol.LogBatch(Id, Lines(2, 1), Live: false));

        await ExpectTerminatedAsync(subscriber);
        Assert.Equal(LogStreamClosedKind.TooSlow, buffer.ClosedReason!.Kind);
    }

    [Fact]
    public async Task Should_close_its_stream_as_job_gone_when_stopped_with_its_log()
    {
        var buffer = new LogStreamBuffer();
        var subscriber = ChildActorOf(LogSubscriber.Props(after: 0, buffer));
        await ExpectMsgAsync<StreamProtocol.FetchLines>();
        Watch(subscriber);
        subscriber.Tell(PoisonPill.Instance);
        await ExpectTerminatedAsync(subscriber);
        Assert.Equal(LogStreamClosedKind.JobGone, buffer.ClosedReason!.Kind);
    }
}
