using Akka.Actor;
using Akka.TestKit.Xunit2;
using PinsDaemon.Actors.Jobs;
using PinsDaemon.Actors.Logs;
using PinsDaemon.Actors.Runs;
using PinsDaemon.Actors.Storage;
using PinsDaemon.Actors.Streaming;
using PinsDaemon.Actors.Tests.TestSupport;
using PinsDaemon.Contracts;
using Xunit;

namespace PinsDaemon.Actors.Tests.Jobs;

/// <summary>One job and its run, under a real parent (the test actor, standing in for the supervisor).</summary>
public sealed class UpgradeJobSpecs : TestKit
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private readonly TempDirectory _storage = new();
    private readonly FakeRunner _runner;
    private readonly JobStore _store;

    public UpgradeJobSpecs()
    {
        _runner = new FakeRunner(Path.Combine(_storage.Path, "runs"));
        _store = new JobStore(_storage.Path);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        _storage.Dispose();
    }

    private IActorRef StartJob(JobSnapshot job, JobResume? resume = null, TimeSpan? timeout = null) =>
        ChildActorOf(UpgradeJob.Props(new JobSetup(
            job, resume, new JobSupervisorSettings(UseSudo: true) { Timeout = timeout ?? TimeSpan.FromHours(2) }, _runner, _store, TimeProvider.System)));

    private static JobSnapshot NewJob(bool dryRun = false) =>
        new(JobId.New(), JobStatus.Running, dryRun, DateTimeOffset.UtcNow, null, null, null, 0, null);

    private async Task<JobSnapshot> FinishedAsync(JobId id) =>
        (await FishForMessageAsync<JobProtocol.JobUpdated>(u => u.Job.JobId == id && u.Job.Status.IsFinal(), Wait)).Job;

    private async Task<JobSnapshot> GetAsync(IActorRef job) => (await job.Ask<JobProtocol.JobFound>(new JobProtocol.GetJob(default), Wait)).Job;

    [Fact]
    public async Task Should_persist_the_launch_before_the_run_starts_and_say_who_supervises_it()
    {
        var job = NewJob();
        StartJob(job);
        var run = await _runner.LatestAsync();
        var state = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_store.DirectoryOf(job.JobId), JobStore.RunFileName))).RootElement;
        Assert.Equal(run.Name.ToString(), state.GetProperty("run").GetString());

        run.Event("phase install", "upgraded zip 3.0-13 3.0-14", "exit 0");
        run.Stdout("Setting up zip (3.0-14) ...");
        run.Exit(0);
        var done = await FinishedAsync(job.JobId);
        Assert.Equal(JobStatus.Succeeded, done.Status);
        Assert.Equal("detached", done.Supervisor);
        Assert.Equal(1, done.LineCount);
        Assert.Equal(["zip"], done.Upgraded!.Select(p => p.Package));
        Assert.False(done.RebootRequired);
    }

    [Fact]
    public async Task Should_ask_the_run_to_stop_on_cancel_and_take_the_outcome_from_the_run()
    {
        var job = NewJob();
        var actor = StartJob(job);
        var run = await _runner.LatestAsync();
        run.Event("phase download");
        await AwaitAssertAsync(async () => Assert.Equal("download", (await GetAsync(actor)).Progress?.Phase), Wait);

        var accepted = await actor.Ask<JobProtocol.CancelAccepted>(new JobProtocol.CancelJob(job.JobId, "tester"), Wait);
        Assert.Equal(JobStatus.Running, accepted.Job.Status);
        await AwaitConditionAsync(() => Task.FromResult(run.CancelRequested), Wait);

        // The run decides: it stopped before dpkg.
        run.Event("stopped TERM download", "exit 143");
        run.Exit(143);
        var done = await FinishedAsync(job.JobId);
        Assert.Equal(JobStatus.Cancelled, done.Status);
        Assert.Equal("cancelled", done.Reason);
        Assert.Contains(done.Audit, a => a.Action == "cancel" && a.Outcome == "accepted");
    }

    [Fact]
    public async Task Should_ask_again_when_a_cancel_came_before_the_run_existed()
    {
        // Under load, the run's session (or unit) may not have written its record when a cancel
        // comes right after the start: the launcher then answers "no active run". The cancel was
        // accepted, so it must still reach the run, not leave it to upgrade the machine.
        _runner.CancelsBeforeTheRunExists = 2;
        var job = NewJob();
        var actor = StartJob(job);
        var run = await _runner.LatestAsync();

        await actor.Ask<JobProtocol.CancelAccepted>(new JobProtocol.CancelJob(job.JobId, "tester"), Wait);
        await AwaitConditionAsync(() => Task.FromResult(run.CancelRequested), Wait);
        Assert.Equal(3, _runner.Cancels.Count);

        run.Event("stopped TERM update", "exit 143");
        run.Exit(143);
        Assert.Equal(JobStatus.Cancelled, (await FinishedAsync(job.JobId)).Status);
    }

    [Fact]
    public async Task Should_refuse_a_cancel_once_dpkg_started_without_asking_the_run()
    {
        var job = NewJob();
        var actor = StartJob(job);
        var run = await _runner.LatestAsync();
        run.Event("phase install");
        await AwaitAssertAsync(async () => Assert.Equal("install", (await GetAsync(actor)).Progress?.Phase), Wait);

        var refused = await actor.Ask<JobProtocol.CancelRefused>(new JobProtocol.CancelJob(job.JobId, "tester"), Wait);
        Assert.Contains("dpkg", refused.Reason);
        Assert.Empty(_runner.Cancels);
        run.Exit(0);
        Assert.Equal(JobStatus.Succeeded, (await FinishedAsync(job.JobId)).Status);
    }

    [Fact]
    public async Task Should_stop_a_dry_run_in_its_simulation_when_it_runs_past_the_timeout()
    {
        var job = NewJob(dryRun: true);
        StartJob(job, timeout: TimeSpan.FromMilliseconds(500));
        var run = await _runner.LatestAsync();
        run.Event("phase simulate");
        await AwaitConditionAsync(() => Task.FromResult(run.CancelRequested), Wait);
        run.Event("stopped TERM simulate");
        run.Exit(143);

        var done = await FinishedAsync(job.JobId);
        Assert.Equal(JobStatus.TimedOut, done.Status);
        Assert.Null(done.Plan);
    }

    [Fact]
    public async Task Should_report_a_refused_launch_as_failed_without_following_anything()
    {
        _runner.RefuseWith = new LaunchResult(75, "another run is active");
        var job = NewJob();
        StartJob(job);
        var done = await FinishedAsync(job.JobId);
        Assert.Equal(JobStatus.Failed, done.Status);
        Assert.Equal("startFailed", done.Reason);
        Assert.Equal(75, done.ExitCode);
        Assert.Null(done.Supervisor);
    }

    [Fact]
    public async Task Should_follow_a_run_again_from_a_checkpoint_and_rebuild_its_state_from_all_its_events()
    {
        // A first job actor runs until the daemon stops.
        var job = NewJob(dryRun: true);
        var first = StartJob(job);
        var run = await _runner.LatestAsync();
        run.Event("phase simulate", "plan Inst zip [3.0-13] (3.0-14 Debian:12 [amd64])");
        run.Stdout("a", "b");
        await AwaitAssertAsync(async () => Assert.Equal(2, (await GetAsync(first)).LineCount), Wait);
        var watcher = CreateTestProbe();
        watcher.Watch(first);
        Sys.Stop(first);
        await watcher.ExpectTerminatedAsync(first);
        Assert.True(run.Alive, "stopping the job never touches the run");

        run.Stdout("c");
        run.Event("plan Inst sl [5.01] (5.02 Debian:12 [amd64])", "exit 0");
        run.Exit(0);

        // What the first job told its parent is of no interest here.
        while (HasMessages)
        {
            await ReceiveOneAsync();
        }

        var loaded = _store.Load(TimeProvider.System).Jobs.Single();
        Assert.Equal(JobStatus.Running, loaded.Job.Status);
        Assert.Equal(2, loaded.Resume!.Checkpoint.Seq);
        var second = StartJob(loaded.Job, loaded.Resume);
        var done = await FinishedAsync(job.JobId);
        Assert.Equal(JobStatus.Succeeded, done.Status);
        Assert.Equal(3, done.LineCount);
        Assert.Equal(["zip", "sl"], done.Plan!.Select(p => p.Package));

        var page = await second.Ask<LogProtocol.LogPage>(new LogProtocol.ReadLog(job.JobId, 0, 10, int.MaxValue), Wait);
        Assert.Equal(["a", "b", "c"], page.Lines.Select(l => l.Text));
        Assert.Equal(1, _runner.LaunchCount);
    }

    [Fact]
    public async Task Should_stream_to_a_connection_through_its_log_and_end_it_with_the_outcome()
    {
        var job = NewJob();
        var actor = StartJob(job);
        var run = await _runner.LatestAsync();
        var buffer = new LogStreamBuffer();
        var opened = await actor.Ask<LogProtocol.LogStreamOpened>(new LogProtocol.OpenLogStream(job.JobId, 0, buffer), Wait);
        Assert.Equal("log", opened.Subscriber.Path.Parent.Name);
        run.Stdout("one");
        run.Stderr("two");
        run.Exit(3);
        var (lines, end, _) = await StreamDrain.ReadToEndAsync(buffer);
        Assert.Equal(["one", "two"], lines.Select(l => l.Text));
        Assert.Equal(JobStatus.Failed, end!.Status);
        Assert.Equal(3, end.ExitCode);
    }
}
