using Akka.Actor;
using Akka.TestKit.Xunit2;
using PinsDaemon.Actors.Logs;
using PinsDaemon.Actors.Processes;
using PinsDaemon.Actors.Runs;
using PinsDaemon.Actors.Streaming;
using PinsDaemon.Actors.Tests.TestSupport;
using PinsDaemon.Contracts;
using Xunit;

namespace PinsDaemon.Actors.Tests.Logs;

/// <summary>A job's log under a real parent (the test actor, standing in for its job).</summary>
public sealed class JobLogSpecs : TestKit
{
    private readonly TempDirectory _storage = new();
    private readonly JobId _id = JobId.New();
    private long _position;

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        _storage.Dispose();
    }

    private IActorRef StartLog() => ChildActorOf(JobLog.Props(new JobLogSetup(
        _id, Path.Combine(_storage.Path, _id.ToString()), new LogCheckpoint(0, 0, RunPosition.Start), null, false, new OutputGate(1024 * 1024), TimeProvider.System)));

    private LogProtocol.Append Append(LogStream stream, params string[] texts)
    {
        _position += texts.Length;
        return new LogProtocol.Append(texts.Select(t => new OutputLine(stream, t)).ToArray(), new RunPosition(_position, 0));
    }

    private async Task<List<LogLine>> ReceiveLinesAsync(Akka.TestKit.TestProbe probe, int count)
    {
        var received = new List<LogLine>();
        while (received.Count < count)
        {
            var batch = await probe.ExpectMsgAsync<StreamProtocol.LogBatch>();
            Assert.Equal(_id, batch.JobId);
            received.AddRange(batch.Lines);
        }

        return received;
    }

    [Fact]
    public async Task Should_number_lines_from_one_across_stdout_and_stderr_and_publish_them_once_stored()
    {
        var log = StartLog();
        var subscriber = CreateTestProbe();
        log.Tell(new StreamProtocol.FetchLines(0), subscriber);
        await subscriber.ExpectMsgAsync<StreamProtocol.Live>();
        log.Tell(Append(LogStream.Stdout, "out 1"));
        log.Tell(Append(LogStream.Stderr, "err 1"));
        log.Tell(Append(LogStream.Stdout, "out 2"));

        var received = await ReceiveLinesAsync(subscriber, 3);
        Assert.Equal([1L, 2L, 3L], received.Select(l => l.Seq));
        Assert.Equal([LogStream.Stdout, LogStream.Stderr, LogStream.Stdout], received.Select(l => l.Stream));
        Assert.Equal(["out 1", "err 1", "out 2"], received.Select(l => l.Text));

        // The job hears of every line once it is on disk, with the checkpoint after it.
        await FishForMessageAsync<LogProtocol.Published>(p => p.LastSeq == 3);
        var checkpoint = JobLogFile.ReadLastCheckpoint(Path.Combine(_storage.Path, _id.ToString(), JobLogFile.CheckpointFileName));
        Assert.Equal(3, checkpoint!.Seq);
        Assert.Equal(new RunPosition(3, 0), checkpoint.Position);
    }

    [Fact]
    public async Task Should_push_a_large_stored_batch_to_live_subscribers_in_slices_that_fit_a_connection()
    {
        var log = StartLog();
        var subscriber = CreateTestProbe();
        log.Tell(new StreamProtocol.FetchLines(0), subscriber);
        await subscriber.ExpectMsgAsync<StreamProtocol.Live>();
        // One read of a run's file: thousands of short lines, more than a connection buffers.
        var texts = Enumerable.Range(1, 4000).Select(n => n.ToString()).ToArray();
        log.Tell(Append(LogStream.Stdout, texts));

        var received = new List<LogLine>();
        while (received.Count < texts.Length)
        {
            var batch = await subscriber.ExpectMsgAsync<StreamProtocol.LogBatch>();
            Assert.True(batch.Live);
            Assert.True(batch.Weight <= JobLog.MaxLiveBatchWeight, $"a live batch of {batch.Weight}");
            Assert.True(batch.Weight <= LogStreamBuffer.DefaultMaxWeight / 2);
            received.AddRange(batch.Lines);
        }

        Assert.Equal(Enumerable.Range(1, texts.Length).Select(n => (long)n), received.Select(l => l.Seq));
        Assert.Equal(texts, received.Select(l => l.Text));
    }

    [Fact]
    public async Task Should_send_the_end_once_every_line_is_stored()
    {
        var log = StartLog();
        var subscriber = CreateTestProbe();
        log.Tell(new StreamProtocol.FetchLines(0), subscriber);
        await subscriber.ExpectMsgAsync<StreamProtocol.Live>();
        log.Tell(Append(LogStream.Stdout, "only line"));
        log.Tell(new LogProtocol.Complete(JobStatus.Succeeded, 0, "done"));

        var lines = await ReceiveLinesAsync(subscriber, 1);
        Assert.Equal("only line", lines.Single().Text);
        Assert.Equal(new StreamProtocol.LogEnd(_id, JobStatus.Succeeded, 0, 1, "done"), await subscriber.ExpectMsgAsync<StreamProtocol.LogEnd>());
        await FishForMessageAsync<LogProtocol.Completed>(c => c.LastSeq == 1);
    }

    [Fact]
    public async Task Should_stop_pushing_to_a_subscriber_that_died_and_keep_serving_the_others()
    {
        var log = StartLog();
        var dying = CreateTestProbe();
        var staying = CreateTestProbe();
        foreach (var probe in new[] { dying, staying })
        {
            log.Tell(new StreamProtocol.FetchLines(0), probe);
            await probe.ExpectMsgAsync<StreamProtocol.Live>();
        }

        log.Tell(Append(LogStream.Stdout, "before"));
        await ReceiveLinesAsync(dying, 1);
        await ReceiveLinesAsync(staying, 1);

        var watcher = CreateTestProbe();
        watcher.Watch(dying.Ref);
        Sys.Stop(dying.Ref);
        await watcher.ExpectTerminatedAsync(dying.Ref);

        await EventFilter.DeadLetter<StreamProtocol.LogBatch>().ExpectAsync(0, async () =>
        {
            log.Tell(Append(LogStream.Stdout, "after"));
            // The line after the death was handled: the other subscriber has it.
            Assert.Equal("after", (await ReceiveLinesAsync(staying, 1)).Single().Text);
        });
    }

    [Fact]
    public async Task Should_replay_in_batches_and_then_hand_over_to_live_without_gap_or_duplicate()
    {
        var log = StartLog();
        log.Tell(Append(LogStream.Stdout, Enumerable.Range(1, JobLog.MaxReplayBatchLines + 10).Select(n => n.ToString()).ToArray()));
        await FishForMessageAsync<LogProtocol.Published>(p => p.LastSeq == JobLog.MaxReplayBatchLines + 10);

        var subscriber = CreateTestProbe();
        log.Tell(new StreamProtocol.FetchLines(0), subscriber);
        var first = await subscriber.ExpectMsgAsync<StreamProtocol.LogBatch>();
        Assert.False(first.Live);
        Assert.Equal(JobLog.MaxReplayBatchLines, first.Lines.Count);

        // A line arrives between two fetches: it must come in the next replay, not be lost.
        log.Tell(Append(LogStream.Stdout, "in between"));
        await FishForMessageAsync<LogProtocol.Published>(p => p.LastSeq == JobLog.MaxReplayBatchLines + 11);
        log.Tell(new StreamProtocol.FetchLines(first.LastSeq), subscriber);
        var second = await subscriber.ExpectMsgAsync<StreamProtocol.LogBatch>();
        Assert.False(second.Live);
        Assert.Equal(first.LastSeq + 1, second.Lines[0].Seq);
        Assert.Equal("in between", second.Lines[^1].Text);

        log.Tell(new StreamProtocol.FetchLines(second.LastSeq), subscriber);
        Assert.Equal(second.LastSeq, (await subscriber.ExpectMsgAsync<StreamProtocol.Live>()).LastSeq);
        await subscriber.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
        log.Tell(Append(LogStream.Stdout, "live"));
        var live = await subscriber.ExpectMsgAsync<StreamProtocol.LogBatch>();
        Assert.True(live.Live);
        Assert.Equal(second.LastSeq + 1, live.Lines.Single().Seq);
    }

    [Fact]
    public async Task Should_open_one_subscriber_child_per_stream_that_ends_with_the_log()
    {
        var log = StartLog();
        var buffer = new LogStreamBuffer();
        log.Tell(new LogProtocol.OpenLogStream(_id, 0, buffer));
        var opened = await ExpectMsgAsync<LogProtocol.LogStreamOpened>();
        Assert.Equal(log.Path, opened.Subscriber.Path.Parent);

        log.Tell(Append(LogStream.Stdout, "a", "b"));
        log.Tell(new LogProtocol.Complete(JobStatus.Failed, 3, "failed"));
        var (lines, end, closed) = await StreamDrain.ReadToEndAsync(buffer);
        Assert.Equal(["a", "b"], lines.Select(l => l.Text));
        Assert.Equal(JobStatus.Failed, end!.Status);
        Assert.Null(closed);
    }
    [Fact]
    public async Task Should_share_lines_read_back_from_disk_between_subscribers_and_let_them_go_when_a_newer_job_starts()
    {
        var log = StartLog();
        // More than the window holds: the oldest lines are read back from disk.
        var texts = Enumerable.Range(1, 6000).Select(n => $"{n} {new string('x', 200)}").ToArray();
        log.Tell(Append(LogStream.Stdout, texts));
        log.Tell(new LogProtocol.Complete(JobStatus.Succeeded, 0, null));
        await FishForMessageAsync<LogProtocol.Completed>(c => c.LastSeq == texts.Length);

        // Two subscribers replaying together get the same lines, not a copy each.
        var first = CreateTestProbe();
        var second = CreateTestProbe();
        log.Tell(new StreamProtocol.FetchLines(0), first);
        log.Tell(new StreamProtocol.FetchLines(0), second);
        var fromFirst = await first.ExpectMsgAsync<StreamProtocol.LogBatch>();
        var fromSecond = await second.ExpectMsgAsync<StreamProtocol.LogBatch>();
        Assert.Equal(1, fromFirst.Lines[0].Seq);
        Assert.Same(fromFirst.Lines[0], fromSecond.Lines[0]);
        log.Tell(new StreamProtocol.FetchLines(0), second);
        Assert.Same(fromFirst.Lines[0], (await second.ExpectMsgAsync<StreamProtocol.LogBatch>()).Lines[0]);

        // A newer job started: what was held is let go, and the disk still serves every line.
        log.Tell(LogProtocol.ReleaseWindow.Instance);
        log.Tell(new StreamProtocol.FetchLines(0), first);
        var again = await first.ExpectMsgAsync<StreamProtocol.LogBatch>();
        Assert.Equal(fromFirst.Lines.Select(l => l.Text), again.Lines.Select(l => l.Text));
        Assert.NotSame(fromFirst.Lines[0], again.Lines[0]);
        log.Tell(new StreamProtocol.FetchLines(texts.Length - 1), first);
        var last = await first.ExpectMsgAsync<StreamProtocol.LogBatch>();
        Assert.Equal(texts[^1], last.Lines.Single().Text);
    }
}
