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

public sealed class JobSupervisorSpecs : TestKit
{
    private static readonly JobSupervisorSettings Settings = new(UseSudo: true);

    private readonly TempDirectory _storage = new();
    private readonly FakeRunner _launcher;
    private readonly IActorRef _supervisor;

    public JobSupervisorSpecs()
    {
        _launcher = new FakeRunner(Path.Combine(_storage.Path, "runs"));
        var store = new JobStore(_storage.Path);
        _supervisor = Sys.ActorOf(JobSupervisor.Props(Settings, _launcher, store, [], TimeProvider.System), "jobs");
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        _storage.Dispose();
    }

    private async Task<JobSnapshot> StartAsync(bool dryRun = true)
    {
        var started = await _supervisor.Ask<JobProtocol.JobStarted>(new JobProtocol.StartJob(dryRun), TimeSpan.FromSeconds(3));
        return started.Job;
    }

    [Fact]
    public async Task Should_launch_the_run_with_the_jobs_mode_and_autoremove_and_keep_the_unit_name()
    {
        var started = await _supervisor.Ask<JobProtocol.JobStarted>(
            new JobProtocol.StartJob(false) { Mode = UpgradeModes.FullUpgrade, Autoremove = true }, TimeSpan.FromSeconds(3));
        Assert.Equal(UpgradeModes.FullUpgrade, started.Job.Mode);
        Assert.True(started.Job.Autoremove);
        var run = await _launcher.LatestAsync(1);
        Assert.Equal(new RunName(false, started.Job.JobId), run.Name);
        Assert.Equal(new RunOptions(true, true), Assert.Single(_launcher.LaunchOptions));
        Assert.Equal(UpgradeModes.FullUpgrade, (await GetAsync(started.Job.JobId)).Mode);
        Assert.Equal(JobTriggers.Api, started.Job.Trigger);
    }

    [Fact]
    public async Task Should_have_a_finished_job_give_its_window_back_when_the_next_job_starts()
    {
        var first = await StartAsync();
        var run = await _launcher.LatestAsync(1);
        run.Stdout("one", "two");
        run.Exit(0);
        await AwaitStatusAsync(first.JobId, JobStatus.Succeeded);
        var read = new LogProtocol.ReadLog(first.JobId, 0, 100, 1024 * 1024);
        var held = await _supervisor.Ask<LogProtocol.LogPage>(read, TimeSpan.FromSeconds(3));
        Assert.Same(held.Lines[0], (await _supervisor.Ask<LogProtocol.LogPage>(read, TimeSpan.FromSeconds(3))).Lines[0]);

        // One job's window at a time: the finished job's lines now come from its stored log.
        await StartAsync();
        var stored = await _supervisor.Ask<LogProtocol.LogPage>(read, TimeSpan.FromSeconds(3));
        Assert.Equal(["one", "two"], stored.Lines.Select(l => l.Text));
        Assert.NotSame(held.Lines[0], stored.Lines[0]);
    }

    [Fact]
    public async Task Should_record_what_triggered_a_job()
    {
        var started = await _supervisor.Ask<JobProtocol.JobStarted>(
            new JobProtocol.StartJob(true, JobTriggers.Schedule) { Trigger = JobTriggers.Schedule }, TimeSpan.FromSeconds(3));
        Assert.Equal(JobTriggers.Schedule, (await GetAsync(started.Job.JobId)).Trigger);
    }

    [Fact]
    public async Task Should_refuse_a_reboot_while_a_job_runs_and_any_job_while_a_reboot_is_scheduled()
    {
        var job = await StartAsync();
        var refused = await _supervisor.Ask<JobProtocol.RebootRefused>(new JobProtocol.RequestReboot(false), TimeSpan.FromSeconds(3));
        Assert.Equal(job.JobId, refused.RunningJobId);
        Assert.Empty(_launcher.Reboots);
        (await _launcher.LatestAsync(1)).Exit(0);
        await AwaitStatusAsync(job.JobId, JobStatus.Succeeded);

        Assert.Null((await _supervisor.Ask<JobProtocol.RebootSchedule>(JobProtocol.GetRebootSchedule.Instance, TimeSpan.FromSeconds(3))).RebootAt);
        var done = await _supervisor.Ask<JobProtocol.RebootDone>(new JobProtocol.RequestReboot(false), TimeSpan.FromSeconds(3));
        Assert.NotNull(done.RebootAt);
        Assert.Equal(done.RebootAt, (await _supervisor.Ask<JobProtocol.RebootSchedule>(JobProtocol.GetRebootSchedule.Instance, TimeSpan.FromSeconds(3))).RebootAt);
        Assert.Equal([false], _launcher.Reboots);
        await _supervisor.Ask<JobProtocol.StartRefusedForReboot>(new JobProtocol.StartJob(true), TimeSpan.FromSeconds(3));
        Assert.Equal(1, _launcher.LaunchCount);

        var cancelled = await _supervisor.Ask<JobProtocol.RebootDone>(new JobProtocol.RequestReboot(true), TimeSpan.FromSeconds(3));
        Assert.Null(cancelled.RebootAt);
        await StartAsync();
    }

    private async Task<JobSnapshot> GetAsync(JobId id) =>
        (await _supervisor.Ask<JobProtocol.JobFound>(new JobProtocol.GetJob(id), TimeSpan.FromSeconds(3))).Job;

    private async Task<JobSnapshot> AwaitStatusAsync(JobId id, JobStatus status)
    {
        JobSnapshot? job = null;
        await AwaitAssertAsync(async () =>
        {
            job = await GetAsync(id);
            Assert.Equal(status, job.Status);
        }, TimeSpan.FromSeconds(5));
        return job!;
    }

    [Fact]
    public async Task Should_start_one_run_per_job_named_by_its_mode_and_id()
    {
        var job = await StartAsync();
        var process = await _launcher.LatestAsync();
        Assert.Equal(new RunName(true, job.JobId), process.Name);
        process.Exit(0);
        await AwaitStatusAsync(job.JobId, JobStatus.Succeeded);
        var apply = await StartAsync(dryRun: false);
        Assert.Equal(new RunName(false, apply.JobId), (await _launcher.LatestAsync(2)).Name);
    }

    [Fact]
    public void Should_pass_sudo_exactly_one_of_the_fixed_forms()
    {
        const string Script = "/usr/libexec/pinsdaemon/system-upgrade.sh";
        var id = JobId.New();
        var run = new RunName(DryRun: true, id);
        Assert.Equal(["-n", "--", Script, "--dry-run", "--job", id.ToString()], SudoRunner.Arguments(Script, "--dry-run", run));
        Assert.Equal(["-n", "--", Script, "--apply", "--full-upgrade", "--autoremove", "--job", id.ToString()], SudoRunner.Arguments(Script, "--apply", run, new RunOptions(true, true)));
        Assert.Equal(["-n", "--", Script, "--dry-run", "--autoremove", "--job", id.ToString()], SudoRunner.Arguments(Script, "--dry-run", run, new RunOptions(false, true)));
        Assert.Equal("pinsdaemon-upgrade@dry-run-" + id + ".service", run.UnitName);
        Assert.Equal("apply-" + id, new RunName(false, id).ToString());
    }

    [Fact]
    public async Task Should_refuse_a_second_job_while_one_is_running()
    {
        var first = await StartAsync();
        var process = await _launcher.LatestAsync();

        var rejected = await _supervisor.Ask<JobProtocol.JobRejected>(new JobProtocol.StartJob(false), TimeSpan.FromSeconds(3));
        Assert.Equal(first.JobId, rejected.RunningJobId);
        Assert.Equal(1, _launcher.LaunchCount);

        process.Exit(0);
        await AwaitStatusAsync(first.JobId, JobStatus.Succeeded);
        var second = await StartAsync();
        Assert.NotEqual(first.JobId, second.JobId);
    }

    [Fact]
    public async Task Should_report_status_exit_code_and_line_count()
    {
        var job = await StartAsync();
        var process = await _launcher.LatestAsync();
        process.Stdout("a", "b");
        process.Stderr("c");
        process.Exit(3);

        var done = await AwaitStatusAsync(job.JobId, JobStatus.Failed);
        Assert.Equal(3, done.ExitCode);
        Assert.Equal(3, done.LineCount);
        Assert.NotNull(done.StartedAt);
        Assert.NotNull(done.FinishedAt);
        Assert.Contains("exited with code 3", done.Message);
    }

    [Fact]
    public async Task Should_end_a_job_whose_run_cannot_start_as_failed_and_keep_serving()
    {
        _launcher.RefuseWith = new LaunchResult(1, "sudo: a password is required");
        var job = await StartAsync();

        var failed = await AwaitStatusAsync(job.JobId, JobStatus.Failed);
        Assert.Equal(1, failed.ExitCode);
        Assert.Equal("sudoRefused", failed.Reason);
        Assert.Null(failed.Supervisor);

        _launcher.RefuseWith = null;
        await StartAsync();
    }

    [Fact]
    public async Task Should_stop_a_failing_job_actor_and_never_restart_it()
    {
        var job = await StartAsync();
        var process = await _launcher.LatestAsync();
        var jobActor = await Sys.ActorSelection($"/user/jobs/{UpgradeJob.ActorName(job.JobId)}").ResolveOne(TimeSpan.FromSeconds(3));
        Watch(jobActor);

        jobActor.Tell(Kill.Instance);

        await ExpectTerminatedAsync(jobActor);
        var lost = await AwaitStatusAsync(job.JobId, JobStatus.Interrupted);
        Assert.Equal("runnerLost", lost.Reason);
        // A restart would have launched a second run.
        Assert.Equal(1, _launcher.LaunchCount);
        Assert.True(process.Alive, "the run is not the daemon's to stop");

        // The failed job no longer blocks new ones.
        await StartAsync();
        await _launcher.LatestAsync(2);
        Assert.Equal(2, _launcher.LaunchCount);
    }

    [Fact]
    public async Task Should_list_jobs_newest_first()
    {
        var first = await StartAsync();
        (await _launcher.LatestAsync()).Exit(0);
        await AwaitStatusAsync(first.JobId, JobStatus.Succeeded);
        var second = await StartAsync();

        var list = await _supervisor.Ask<JobProtocol.JobList>(JobProtocol.ListJobs.Instance, TimeSpan.FromSeconds(3));
        Assert.Equal([second.JobId, first.JobId], list.Jobs.Select(j => j.JobId));
    }

    [Fact]
    public async Task Should_answer_not_found_for_an_unknown_job()
    {
        var id = JobId.New();
        var answer = await _supervisor.Ask<JobProtocol.JobNotFound>(new JobProtocol.GetJob(id), TimeSpan.FromSeconds(3));
        Assert.Equal(id, answer.JobId);
        var stream = await _supervisor.Ask<JobProtocol.JobNotFound>(new LogProtocol.OpenLogStream(id, 0, new LogStreamBuffer()), TimeSpan.FromSeconds(3));
        Assert.Equal(id, stream.JobId);
    }

    [Fact]
    public async Task Should_give_late_and_concurrent_subscribers_every_line_exactly_once_in_order()
    {
        const int total = 3000;
        var job = await StartAsync();
        var process = await _launcher.LatestAsync();
        var readers = new List<Task<(List<LogLine> Lines, StreamProtocol.LogEnd? End, LogStreamClosedReason? Closed)>>();

        async Task Subscribe()
        {
            var buffer = new LogStreamBuffer();
            await _supervisor.Ask<LogProtocol.LogStreamOpened>(new LogProtocol.OpenLogStream(job.JobId, 0, buffer), TimeSpan.FromSeconds(3));
            readers.Add(Task.Run(() => StreamDrain.ReadToEndAsync(buffer)));
        }

        await Subscribe();
        for (var i = 1; i <= total; i += 100)
        {
            // Alternate streams and subscribe between bursts, so subscribers join mid-output.
            var lines = Enumerable.Range(i, 100).Select(n => $"line {n}").ToArray();
            if (i % 200 == 1)
            {
                process.Stdout(lines);
            }
            else
            {
                process.Stderr(lines);
            }

            if (i % 500 == 1)
            {
                await Subscribe();
            }
        }

        process.Exit(0);
        await Subscribe();

        List<string>? first = null;
        foreach (var reader in readers)
        {
            var (lines, end, closed) = await reader;
            Assert.Null(closed);
            StreamDrain.AssertComplete(lines, total);
            // stdout and stderr are separate files: each keeps its order, and every subscriber
            // sees the one order the job numbered.
            var texts = lines.Select(l => l.Text).ToList();
            first ??= texts;
            Assert.Equal(first, texts);
            Assert.Equal(Enumerable.Range(1, total).Select(n => $"line {n}"), texts.OrderBy(t => int.Parse(t[5..])));
            Assert.All(new[] { LogStream.Stdout, LogStream.Stderr }, stream =>
            {
                var numbers = lines.Where(l => l.Stream == stream).Select(l => int.Parse(l.Text[5..])).ToList();
                Assert.Equal(numbers.Order(), numbers);
            });
            Assert.Equal(JobStatus.Succeeded, end!.Status);
            Assert.Equal(total, end.LastSeq);
        }
    }

    [Fact]
    public async Task Should_replay_only_lines_after_the_given_seq()
    {
        var job = await StartAsync();
        var process = await _launcher.LatestAsync();
        process.Stdout("1", "2", "3", "4", "5");
        process.Exit(0);
        await AwaitStatusAsync(job.JobId, JobStatus.Succeeded);

        var buffer = new LogStreamBuffer();
        await _supervisor.Ask<LogProtocol.LogStreamOpened>(new LogProtocol.OpenLogStream(job.JobId, 3, buffer), TimeSpan.FromSeconds(3));
        var (lines, end, _) = await StreamDrain.ReadToEndAsync(buffer);
        StreamDrain.AssertComplete(lines, 5, after: 3);
        Assert.Equal(5, end!.LastSeq);
    }

    [Fact]
    public async Task Should_pace_a_long_replay_to_a_small_buffer_without_losing_lines()
    {
        const int total = 5000;
        var job = await StartAsync();
        var process = await _launcher.LatestAsync();
        process.Stdout(Enumerable.Range(1, total).Select(n => $"line {n}").ToArray());
        process.Exit(0);
        await AwaitStatusAsync(job.JobId, JobStatus.Succeeded);

        // Far smaller than the replay: the subscriber must wait for the reader, not drop it.
        var buffer = new LogStreamBuffer(maxWeight: 4096);
        await _supervisor.Ask<LogProtocol.LogStreamOpened>(new LogProtocol.OpenLogStream(job.JobId, 0, buffer), TimeSpan.FromSeconds(3));
        var (lines, end, closed) = await StreamDrain.ReadToEndAsync(buffer);
        Assert.Null(closed);
        StreamDrain.AssertComplete(lines, total);
        Assert.NotNull(end);
    }

    [Fact]
    public async Task Should_drop_a_subscriber_that_stops_reading_without_affecting_others()
    {
        var job = await StartAsync();
        var process = await _launcher.LatestAsync();
        var stalled = new LogStreamBuffer(maxWeight: 2048, stallTimeout: TimeSpan.FromMilliseconds(500));
        var healthy = new LogStreamBuffer();
        await _supervisor.Ask<LogProtocol.LogStreamOpened>(new LogProtocol.OpenLogStream(job.JobId, 0, stalled), TimeSpan.FromSeconds(3));
        await _supervisor.Ask<LogProtocol.LogStreamOpened>(new LogProtocol.OpenLogStream(job.JobId, 0, healthy), TimeSpan.FromSeconds(3));
        var reader = Task.Run(() => StreamDrain.ReadToEndAsync(healthy));

        // Two bursts: the stalled connection takes the first (an empty buffer always takes one
        // batch), and has no room for the second.
        process.Stdout(Enumerable.Range(0, 10).Select(i => $"line {i}").ToArray());
        await AwaitConditionAsync(async () => (await _supervisor.Ask<JobProtocol.JobFound>(new JobProtocol.GetJob(job.JobId), TimeSpan.FromSeconds(3))).Job.LineCount == 10, TimeSpan.FromSeconds(5));
        process.Stdout(Enumerable.Range(10, 190).Select(i => $"line {i}").ToArray());

        await AwaitConditionAsync(() => Task.FromResult(stalled.ClosedReason is not null), TimeSpan.FromSeconds(5));
        Assert.Equal(LogStreamClosedKind.TooSlow, stalled.ClosedReason!.Kind);
        Assert.True(stalled.Weight <= 2048 + 1024, $"the stalled buffer holds {stalled.Weight}");

        process.Exit(0);
        var (lines, end, closed) = await reader;
        Assert.Null(closed);
        StreamDrain.AssertComplete(lines, 200);
        Assert.NotNull(end);
    }

    [Fact]
    public async Task Should_let_a_reader_slower_than_a_burst_catch_up_without_losing_a_line()
    {
        const int total = 20_000;
        var job = await StartAsync();
        var process = await _launcher.LatestAsync();
        // A buffer that holds a few dozen lines: every burst overflows it.
        var small = new LogStreamBuffer(maxWeight: 4096);
        await _supervisor.Ask<LogProtocol.LogStreamOpened>(new LogProtocol.OpenLogStream(job.JobId, 0, small), TimeSpan.FromSeconds(3));
        var reader = Task.Run(async () =>
        {
            var lines = new List<LogLine>();
            await foreach (var batch in small.Reader.ReadAllAsync())
            {
                lines.AddRange(batch.Lines);
                small.Consumed(batch);
                // A slow connection: pacing, not waiting for a condition.
                await Task.Delay(1);
            }

            return (lines, small.End, small.ClosedReason);
        });

        for (var i = 1; i <= total; i += 500)
        {
            process.Stdout(Enumerable.Range(i, 500).Select(n => $"line {n}").ToArray());
        }

        process.Exit(0);
        var (received, end, closed) = await reader;
        Assert.Null(closed);
        StreamDrain.AssertComplete(received, total);
        Assert.Equal(total, end!.LastSeq);
    }
}
