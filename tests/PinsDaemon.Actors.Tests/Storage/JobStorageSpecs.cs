using System.Text.Json;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using PinsDaemon.Actors.Jobs;
using PinsDaemon.Actors.Logs;
using PinsDaemon.Actors.Storage;
using PinsDaemon.Actors.Streaming;
using PinsDaemon.Actors.Tests.TestSupport;
using PinsDaemon.Contracts;
using Xunit;

namespace PinsDaemon.Actors.Tests.Storage;

public sealed class JobStorageSpecs : TestKit
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    private readonly TempDirectory _storage = new();
    private readonly FakeRunner _launcher;
    private int _generation;

    public JobStorageSpecs() => _launcher = new FakeRunner(Path.Combine(_storage.Path, "runs"));

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        _storage.Dispose();
    }

    /// <summary>A supervisor as the daemon starts it: history loaded from the store first.</summary>
    private IActorRef StartSupervisor(JobStore? store = null, int maxJobs = 100)
    {
        store ??= new JobStore(_storage.Path);
        var loaded = store.Load(TimeProvider.System);
        var settings = new JobSupervisorSettings(UseSudo: false, maxJobs);
        return Sys.ActorOf(JobSupervisor.Props(settings, _launcher, store, loaded.Jobs, TimeProvider.System), $"jobs-{++_generation}");
    }

    private static async Task<JobSnapshot> StartJobAsync(IActorRef supervisor) =>
        (await supervisor.Ask<JobProtocol.JobStarted>(new JobProtocol.StartJob(true), Wait)).Job;

    private async Task<JobSnapshot> AwaitFinalAsync(IActorRef supervisor, JobId id)
    {
        JobSnapshot? job = null;
        await AwaitAssertAsync(async () =>
        {
            job = (await supervisor.Ask<JobProtocol.JobFound>(new JobProtocol.GetJob(id), Wait)).Job;
            Assert.True(job.Status.IsFinal());
        }, Wait);
        return job!;
    }

    private static async Task<(List<LogLine> Lines, StreamProtocol.LogEnd? End, LogStreamClosedReason? Closed)> StreamAsync(IActorRef supervisor, JobId id, long after = 0)
    {
        var buffer = new LogStreamBuffer();
        await supervisor.Ask<LogProtocol.LogStreamOpened>(new LogProtocol.OpenLogStream(id, after, buffer), Wait);
        return await StreamDrain.ReadToEndAsync(buffer);
    }

    private async Task StopAsync(IActorRef supervisor)
    {
        var watcher = CreateTestProbe();
        watcher.Watch(supervisor);
        Sys.Stop(supervisor);
        await watcher.ExpectTerminatedAsync(supervisor);
    }

    private string JobDirectory(JobId id) => Path.Combine(_storage.Path, "jobs", id.ToString());

    [Fact]
    public async Task Should_store_metadata_and_every_line_as_json_lines_people_can_read()
    {
        var supervisor = StartSupervisor();
        var job = await StartJobAsync(supervisor);
        var process = await _launcher.LatestAsync();
        process.Stdout("hello", "wörld");
        process.Stderr("oops");
        process.Exit(0);
        await AwaitFinalAsync(supervisor, job.JobId);

        await AwaitAssertAsync(() =>
        {
            var lines = File.ReadAllLines(Path.Combine(JobDirectory(job.JobId), "log.jsonl"));
            Assert.Equal(3, lines.Length);
            var second = JsonDocument.Parse(lines[1]).RootElement;
            Assert.Equal(2, second.GetProperty("seq").GetInt64());
            Assert.Equal("stdout", second.GetProperty("stream").GetString());
            Assert.Equal("wörld", second.GetProperty("text").GetString());
            Assert.Equal("stderr", JsonDocument.Parse(lines[2]).RootElement.GetProperty("stream").GetString());

            var meta = JsonDocument.Parse(File.ReadAllText(Path.Combine(JobDirectory(job.JobId), "job.json"))).RootElement;
            Assert.Equal("succeeded", meta.GetProperty("status").GetString());
            Assert.Equal(3, meta.GetProperty("lineCount").GetInt64());
            Assert.Equal(job.JobId.ToString(), meta.GetProperty("jobId").GetString());
        }, Wait);
    }

    [Fact]
    public async Task Should_restore_finished_jobs_and_their_logs_after_a_restart()
    {
        var first = StartSupervisor();
        var job = await StartJobAsync(first);
        var process = await _launcher.LatestAsync();
        process.Stdout(Enumerable.Range(1, 5000).Select(n => $"line {n}").ToArray());
        process.Exit(7);
        await AwaitFinalAsync(first, job.JobId);
        await StopAsync(first);

        var second = StartSupervisor();
        var restored = await AwaitFinalAsync(second, job.JobId);
        Assert.Equal(JobStatus.Failed, restored.Status);
        Assert.Equal(7, restored.ExitCode);
        Assert.Equal(5000, restored.LineCount);

        var (lines, end, _) = await StreamAsync(second, job.JobId);
        StreamDrain.AssertComplete(lines, 5000);
        Assert.Equal("line 5000", lines[^1].Text);
        Assert.Equal(JobStatus.Failed, end!.Status);

        var (resumed, _, _) = await StreamAsync(second, job.JobId, after: 4990);
        StreamDrain.AssertComplete(resumed, 5000, after: 4990);

        var page = await second.Ask<LogProtocol.LogPage>(new LogProtocol.ReadLog(job.JobId, 2500, 3, int.MaxValue), Wait);
        Assert.Equal([2501L, 2502, 2503], page.Lines.Select(l => l.Seq));
    }

    [Fact]
    public async Task Should_follow_a_run_again_from_its_checkpoint_after_the_daemon_stopped_mid_run()
    {
        var first = StartSupervisor();
        var job = await StartJobAsync(first);
        var run = await _launcher.LatestAsync();
        run.Stdout("a", "b", "c");
        await AwaitAssertAsync(async () => Assert.Equal(3, (await first.Ask<JobProtocol.JobFound>(new JobProtocol.GetJob(job.JobId), Wait)).Job.LineCount), Wait);
        // A crash can leave half a line behind, past the last checkpoint.
        await File.AppendAllTextAsync(Path.Combine(JobDirectory(job.JobId), "log.jsonl"), "{\"type\":\"line\",\"seq\":4,\"str");
        await StopAsync(first);
        run.Stdout("d");
        run.Stderr("e");

        var second = StartSupervisor();
        var resumed = (await second.Ask<JobProtocol.JobFound>(new JobProtocol.GetJob(job.JobId), Wait)).Job;
        Assert.Equal(JobStatus.Running, resumed.Status);
        var stream = Task.Run(() => StreamAsync(second, job.JobId));
        await AwaitAssertAsync(async () => Assert.Equal(5, (await second.Ask<JobProtocol.JobFound>(new JobProtocol.GetJob(job.JobId), Wait)).Job.LineCount), Wait);
        run.Exit(0);

        var (lines, end, _) = await stream;
        Assert.Equal(["a", "b", "c", "d", "e"], lines.Select(l => l.Text));
        StreamDrain.AssertComplete(lines, 5);
        Assert.Equal(JobStatus.Succeeded, end!.Status);
        Assert.Equal(1, _launcher.LaunchCount);

        // Over: a new job may start, once the supervisor has the job's end too (the stream's
        // end frame can reach the client first).
        await AwaitFinalAsync(second, job.JobId);
        await StartJobAsync(second);
    }

    [Fact]
    public async Task Should_keep_only_the_newest_jobs_and_never_prune_the_running_one()
    {
        var supervisor = StartSupervisor(maxJobs: 2);
        var ids = new List<JobId>();
        for (var i = 1; i <= 3; i++)
        {
            var job = await StartJobAsync(supervisor);
            ids.Add(job.JobId);
            (await _launcher.LatestAsync(i)).Exit(0);
            await AwaitFinalAsync(supervisor, job.JobId);
        }

        await AwaitAssertAsync(() => Assert.False(Directory.Exists(JobDirectory(ids[0]))), Wait);
        await supervisor.Ask<JobProtocol.JobNotFound>(new JobProtocol.GetJob(ids[0]), Wait);

        var running = await StartJobAsync(supervisor);
        await _launcher.LatestAsync(4);
        var list = await supervisor.Ask<JobProtocol.JobList>(JobProtocol.ListJobs.Instance, Wait);
        Assert.Equal([running.JobId, ids[2]], list.Jobs.Select(j => j.JobId));
        Assert.True(Directory.Exists(JobDirectory(running.JobId)));

        // At start, too.
        await StopAsync(supervisor);
        var restarted = StartSupervisor(maxJobs: 1);
        var afterRestart = await restarted.Ask<JobProtocol.JobList>(JobProtocol.ListJobs.Instance, Wait);
        Assert.Equal([running.JobId], afterRestart.Jobs.Select(j => j.JobId));
    }

    [Fact]
    public async Task Should_keep_running_and_streaming_when_the_disk_fails_mid_job()
    {
        var store = new JobStore(_storage.Path, path => new FailingStream(new FileStream(path, FileMode.Append), failAfterBytes: 2000));
        var supervisor = StartSupervisor(store);
        var job = await StartJobAsync(supervisor);
        var process = await _launcher.LatestAsync();
        var buffer = new LogStreamBuffer();
        await supervisor.Ask<LogProtocol.LogStreamOpened>(new LogProtocol.OpenLogStream(job.JobId, 0, buffer), Wait);
        var reader = Task.Run(() => StreamDrain.ReadToEndAsync(buffer));

        for (var i = 1; i <= 200; i++)
        {
            process.Stdout($"line {i} " + new string('x', 50));
            if (i % 20 == 0)
            {
                await Task.Delay(10);
            }
        }

        await AwaitAssertAsync(async () =>
        {
            var current = (await supervisor.Ask<JobProtocol.JobFound>(new JobProtocol.GetJob(job.JobId), Wait)).Job;
            Assert.True(current.LogIncomplete);
            Assert.Equal(JobStatus.Running, current.Status);
        }, Wait);

        process.Exit(0);
        var (lines, end, closed) = await reader;
        Assert.Null(closed);
        StreamDrain.AssertComplete(lines, 200);
        Assert.Equal(JobStatus.Succeeded, end!.Status);

        // The daemon still serves: a new job starts.
        await StartJobAsync(supervisor);
    }

    [Fact]
    public async Task Should_skip_corrupt_and_foreign_entries_at_start_and_report_them()
    {
        var jobs = Path.Combine(_storage.Path, "jobs");
        var corrupt = JobId.New();
        Directory.CreateDirectory(Path.Combine(jobs, corrupt.ToString()));
        await File.WriteAllTextAsync(Path.Combine(jobs, corrupt.ToString(), "job.json"), "{\"jobId\": \"" + corrupt + "\", \"status\": \"succ");
        var missing = JobId.New();
        Directory.CreateDirectory(Path.Combine(jobs, missing.ToString()));
        Directory.CreateDirectory(Path.Combine(jobs, "..evil"));

        var loaded = new JobStore(_storage.Path).Load(TimeProvider.System);
        Assert.Empty(loaded.Jobs);
        Assert.Equal(3, loaded.Problems.Count);
        Assert.Contains(loaded.Problems, p => p.Contains(corrupt.ToString()));

        var supervisor = StartSupervisor();
        await StartJobAsync(supervisor);
    }

    [Fact]
    public async Task Should_replay_lines_older_than_the_window_from_disk_while_the_job_runs()
    {
        const int total = JobLog.WindowLines * 3;
        var supervisor = StartSupervisor();
        var job = await StartJobAsync(supervisor);
        var process = await _launcher.LatestAsync();
        for (var i = 0; i < total; i += 1000)
        {
            process.Stdout(Enumerable.Range(i + 1, Math.Min(1000, total - i)).Select(n => $"line {n}").ToArray());
        }

        // Still running, so the window is in use: the oldest lines can only come from disk.
        await AwaitAssertAsync(async () =>
        {
            var page = await supervisor.Ask<LogProtocol.LogPage>(new LogProtocol.ReadLog(job.JobId, 0, 5, int.MaxValue), Wait);
            Assert.Equal([1L, 2, 3, 4, 5], page.Lines.Select(l => l.Seq));
        }, Wait);

        process.Exit(0);
        var (all, end, _) = await StreamAsync(supervisor, job.JobId);
        StreamDrain.AssertComplete(all, total);
        Assert.Equal(total, end!.LastSeq);
    }

    [Fact]
    public async Task Should_keep_every_job_file_private_whatever_the_umask()
    {
        var supervisor = StartSupervisor();
        var job = await StartJobAsync(supervisor);
        var process = await _launcher.LatestAsync();
        process.Stdout("a line");
        process.Exit(0);
        await AwaitFinalAsync(supervisor, job.JobId);

        var directory = JobDirectory(job.JobId);
        await AwaitAssertAsync(() =>
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(directory));
            foreach (var name in new[] { JobStore.MetaFileName, JobStore.RunFileName, JobLogFile.FileName, JobLogFile.CheckpointFileName })
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(directory, name)));
            }
        }, Wait);
    }

    [Fact]
    public async Task Should_write_job_json_in_the_order_its_states_were_asked_for()
    {
        var store = new JobStore(_storage.Path);
        var id = JobId.New();
        var writer = new JobFileWriter(store, id, Sys.Log);
        var snapshot = new JobSnapshot(id, JobStatus.Running, true, DateTimeOffset.UnixEpoch, null, null, null, 0, null);
        for (var i = 1; i <= 200; i++)
        {
            _ = writer.WriteMeta(snapshot with { LineCount = i });
        }

        await writer.Flushed;
        var meta = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(JobDirectory(id), JobStore.MetaFileName))).RootElement;
        Assert.Equal(200, meta.GetProperty("lineCount").GetInt64());
    }
}
