using Akka.Actor;
using Akka.TestKit.Xunit2;
using PinsDaemon.Actors.Jobs;
using PinsDaemon.Actors.Storage;
using PinsDaemon.Actors.Tests.TestSupport;
using PinsDaemon.Contracts;
using Xunit;

namespace PinsDaemon.Actors.Tests.Jobs;

public sealed class UpgradeJobSpecs : TestKit
{
    private static readonly JobSupervisorSettings Settings = new("/opt/script.sh", UseSudo: false, "/usr/bin/sudo");

    private readonly FakeProcessLauncher _launcher = new();
    private readonly TempDirectory _storage = new();

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        _storage.Dispose();
    }

    private IActorRef StartJob(out JobId id)
    {
        id = JobId.New();
        return ActorOfAsTestActorRef<UpgradeJob>(
            UpgradeJob.Props(id, true, DateTimeOffset.UtcNow, Settings, _launcher, new JobStore(_storage.Path), TimeProvider.System),
            TestActor).Ref;
    }

    [Fact]
    public async Task Should_number_lines_from_one_across_stdout_and_stderr()
    {
        var job = StartJob(out var id);
        var process = await _launcher.LatestAsync();
        await ExpectMsgAsync<JobProtocol.JobUpdated>();

        var subscriber = CreateTestProbe();
        job.Tell(new JobProtocol.FetchLines(0), subscriber);
        await subscriber.ExpectMsgAsync<JobProtocol.Live>();
        process.Stdout("out 1");
        process.Stderr("err 1");
        process.Stdout("out 2");

        var received = new List<LogLine>();
        while (received.Count < 3)
        {
            var batch = await subscriber.ExpectMsgAsync<JobProtocol.LogBatch>();
            Assert.True(batch.Live);
            Assert.Equal(id, batch.JobId);
            received.AddRange(batch.Lines);
        }

        Assert.Equal([1L, 2L, 3L], received.Select(l => l.Seq));
        Assert.Equal([LogStream.Stdout, LogStream.Stderr, LogStream.Stdout], received.Select(l => l.Stream));
        Assert.Equal(["out 1", "err 1", "out 2"], received.Select(l => l.Text));
    }

    [Fact]
    public async Task Should_send_the_end_to_live_subscribers_when_the_process_exits()
    {
        var job = StartJob(out var id);
        var process = await _launcher.LatestAsync();
        var subscriber = CreateTestProbe();
        job.Tell(new JobProtocol.FetchLines(0), subscriber);
        await subscriber.ExpectMsgAsync<JobProtocol.Live>();
        process.Stdout("only line");
        await subscriber.ExpectMsgAsync<JobProtocol.LogBatch>();
        process.Exit(0);

        var end = await subscriber.ExpectMsgAsync<JobProtocol.LogEnd>();
        Assert.Equal(new JobProtocol.LogEnd(id, JobStatus.Succeeded, 0, 1, null), end);
    }

    [Fact]
    public async Task Should_stop_pushing_to_a_subscriber_that_died()
    {
        var job = StartJob(out _);
        var process = await _launcher.LatestAsync();
        var subscriber = CreateTestProbe();
        job.Tell(new JobProtocol.FetchLines(0), subscriber);
        await subscriber.ExpectMsgAsync<JobProtocol.Live>();
        process.Stdout("before");
        await subscriber.ExpectMsgAsync<JobProtocol.LogBatch>();

        var watcher = CreateTestProbe();
        watcher.Watch(subscriber.Ref);
        Sys.Stop(subscriber.Ref);
        await watcher.ExpectTerminatedAsync(subscriber.Ref);

        await EventFilter.DeadLetter<JobProtocol.LogBatch>().ExpectAsync(0, async () =>
        {
            process.Stdout("after");
            process.Exit(0);
            await Task.Delay(300);
        });
    }

    [Fact]
    public async Task Should_replay_in_batches_and_then_hand_over_to_live_without_gap_or_duplicate()
    {
        var job = StartJob(out _);
        var process = await _launcher.LatestAsync();
        var lines = Enumerable.Range(1, UpgradeJob.MaxReplayBatchLines + 10).Select(n => n.ToString()).ToArray();
        process.Stdout(lines);

        var subscriber = CreateTestProbe();
        job.Tell(new JobProtocol.FetchLines(0), subscriber);
        var first = await subscriber.ExpectMsgAsync<JobProtocol.LogBatch>();
        Assert.False(first.Live);
        Assert.Equal(UpgradeJob.MaxReplayBatchLines, first.Lines.Count);

        // A line arrives between two fetches: it must come in the next replay, not be lost.
        process.Stdout("in between");
        job.Tell(new JobProtocol.FetchLines(first.LastSeq), subscriber);
        var second = await subscriber.ExpectMsgAsync<JobProtocol.LogBatch>();
        Assert.False(second.Live);
        Assert.Equal(first.LastSeq + 1, second.Lines[0].Seq);
        Assert.Equal("in between", second.Lines[^1].Text);

        job.Tell(new JobProtocol.FetchLines(second.LastSeq), subscriber);
        Assert.Equal(second.LastSeq, (await subscriber.ExpectMsgAsync<JobProtocol.Live>()).LastSeq);
        await subscriber.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
        process.Stdout("live");
        var live = await subscriber.ExpectMsgAsync<JobProtocol.LogBatch>();
        Assert.True(live.Live);
        Assert.Equal(second.LastSeq + 1, live.Lines.Single().Seq);
    }
}
