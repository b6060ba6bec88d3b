using Akka.Actor;
using Akka.TestKit.Xunit2;
using PinsDaemon.Actors.Jobs;
using PinsDaemon.Actors.Processes;
using PinsDaemon.Actors.Storage;
using PinsDaemon.Actors.Streaming;
using PinsDaemon.Actors.Tests.TestSupport;
using PinsDaemon.Contracts;
using Xunit;

namespace PinsDaemon.Actors.Tests.Jobs;

public sealed class JobSupervisorSpecs : TestKit
{
    private static readonly JobSupervisorSettings Settings = new("/usr/local/bin/system-upgrade.sh", UseSudo: true, "/usr/bin/sudo");

    private readonly FakeProcessLauncher _launcher = new();
    private readonly TempDirectory _storage = new();
    private readonly IActorRef _supervisor;

    public JobSupervisorSpecs()
    {
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
    public async Task Should_run_the_hard_coded_script_through_sudo_with_only_the_mode_from_the_request()
    {
        await StartAsync(dryRun: true);
        var process = await _launcher.LatestAsync();
        Assert.Equal("/usr/bin/sudo", process.Command.FileName);
        Assert.Equal(["-n", "--", "/usr/local/bin/system-upgrade.sh", "--dry-run"], process.Command.Arguments);
        process.Exit(0);

        await AwaitAssertAsync(async () => await StartAsync(dryRun: false), TimeSpan.FromSeconds(5));
        Assert.Equal("--apply", (await _launcher.LatestAsync(2)).Command.Arguments[^1]);
    }

    [Fact]
    public async Task Should_refuse_a_second_job_while_one_is_running()
    {
        var first = await StartAsync();
        var process = await _launcher.LatestAsync();

        var rejected = await _supervisor.Ask<JobProtocol.JobRejected>(new JobProtocol.StartJob(false), TimeSpan.FromSeconds(3));
        Assert.Equal(first.JobId, rejected.RunningJobId);
        Assert.Equal(1, _launcher.StartCount);

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
    public async Task Should_end_a_job_whose_process_cannot_start_as_failed_and_keep_serving()
    {
        _launcher.FailStartWith = new ProcessStartException("could not start '/nope': No such file or directory", new IOException());
        var job = await StartAsync();

        var failed = await AwaitStatusAsync(job.JobId, JobStatus.Failed);
        Assert.Null(failed.ExitCode);
        Assert.Contains("could not be started", failed.Message);
        Assert.Contains("No such file", failed.Message);

        _launcher.FailStartWith = null;
        await StartAsync();
    }

    [Fact]
    public async Task Should_stop_a_failing_job_actor_and_never_restart_it()
    {
        var job = await StartAsync();
        var process = await _launcher.LatestAsync();
        var jobActor = await Sys.ActorSelection($"/user/jobs/{UpgradeJob.ActorName(job.JobId)}").ResolveOne(TimeSpan.FromSeconds(3));
        Watch(jobActor);

        process.Corrupt();

        await ExpectTerminatedAsync(jobActor);
        var failed = await AwaitStatusAsync(job.JobId, JobStatus.Failed);
        Assert.Contains("failed", failed.Message);
        Assert.True(process.Terminated, "the script should have been asked to stop");
        Assert.Equal(1, _launcher.StartCount);

        // The failed job no longer blocks new ones.
        await StartAsync();
        await _launcher.LatestAsync(2);
        Assert.Equal(2, _launcher.StartCount);
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
        var stream = await _supervisor.Ask<JobProtocol.JobNotFound>(new JobProtocol.OpenLogStream(id, 0, new LogStreamBuffer()), TimeSpan.FromSeconds(3));
        Assert.Equal(id, stream.JobId);
    }

    [Fact]
    public async Task Should_give_late_and_concurrent_subscribers_every_line_exactly_once_in_order()
    {
        const int total = 3000;
        var job = await StartAsync();
        var process = await _launcher.LatestAsync();
        var readers = new List<Task<(List<LogLine> Lines, JobProtocol.LogEnd? End, LogStreamClosedReason? Closed)>>();

        async Task Subscribe()
        {
            var buffer = new LogStreamBuffer();
            await _supervisor.Ask<JobProtocol.LogStreamOpened>(new JobProtocol.OpenLogStream(job.JobId, 0, buffer), TimeSpan.FromSeconds(3));
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

        foreach (var reader in readers)
        {
            var (lines, end, closed) = await reader;
            Assert.Null(closed);
            StreamDrain.AssertComplete(lines, total);
            Assert.Equal(Enumerable.Range(1, total).Select(n => $"line {n}"), lines.Select(l => l.Text));
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
        await _supervisor.Ask<JobProtocol.LogStreamOpened>(new JobProtocol.OpenLogStream(job.JobId, 3, buffer), TimeSpan.FromSeconds(3));
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
        await _supervisor.Ask<JobProtocol.LogStreamOpened>(new JobProtocol.OpenLogStream(job.JobId, 0, buffer), TimeSpan.FromSeconds(3));
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
        await _supervisor.Ask<JobProtocol.LogStreamOpened>(new JobProtocol.OpenLogStream(job.JobId, 0, stalled), TimeSpan.FromSeconds(3));
        await _supervisor.Ask<JobProtocol.LogStreamOpened>(new JobProtocol.OpenLogStream(job.JobId, 0, healthy), TimeSpan.FromSeconds(3));
        var reader = Task.Run(() => StreamDrain.ReadToEndAsync(healthy));

        // Give both time to register as live before the flood.
        await Task.Delay(200);
        for (var i = 0; i < 200; i++)
        {
            process.Stdout($"line {i}");
        }

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
        await _supervisor.Ask<JobProtocol.LogStreamOpened>(new JobProtocol.OpenLogStream(job.JobId, 0, small), TimeSpan.FromSeconds(3));
        await Task.Delay(200);
        var reader = Task.Run(async () =>
        {
            var lines = new List<LogLine>();
            await foreach (var batch in small.Reader.ReadAllAsync())
            {
                lines.AddRange(batch.Lines);
                small.Consumed(batch);
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
