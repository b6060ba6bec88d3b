using System.Text.Json;
using PinsDaemon.Actors.Logs;
using PinsDaemon.Contracts;

namespace PinsDaemon.Actors.Storage;

/// <summary>
/// Job history under <c>Storage:Directory</c>: <c>jobs/{jobId}/job.json</c> (what
/// <c>GET /jobs/{id}</c> says), <c>run.json</c> (which run the job follows), <c>log.jsonl</c> and
/// <c>offsets</c> (every line, and how far the run's files were taken). Paths are only ever built
/// from a <see cref="JobId"/>, a validated GUID, so nothing from a request can name a file.
/// Every file is 0600 and every directory 0700, whatever the process's umask.
/// </summary>
public sealed class JobStore
{
    public const string MetaFileName = "job.json";

    public const string RunFileName = "run.json";

    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>The same JSON as the API's, indented for people reading the file.</summary>
    private static readonly JsonSerializerOptions MetaJson = new(ContractJson.Options) { WriteIndented = true };

    /// <param name="root">The storage directory.</param>
    /// <param name="openAppend">Opens a log for appending; a seam for tests that make the disk fail.</param>
    public JobStore(string root, Func<string, Stream>? openAppend = null)
    {
        Root = Path.GetFullPath(root);
        JobsDirectory = Path.Combine(Root, "jobs");
        OpenAppend = openAppend;
    }

    public string Root { get; }

    public string JobsDirectory { get; }

    /// <summary>Where runs started without sudo keep their files (<c>Upgrade:UseSudo=false</c>).</summary>
    public string RunsDirectory => Path.Combine(Root, "runs");

    public Func<string, Stream>? OpenAppend { get; }

    public string DirectoryOf(JobId id) => Path.Combine(JobsDirectory, id.ToString());

    /// <summary>Creates the directory if needed and proves it writable; the message names it otherwise.</summary>
    public void EnsureWritable()
    {
        try
        {
            Directory.CreateDirectory(JobsDirectory, DirectoryMode);
            var probe = Path.Combine(JobsDirectory, $".write-test-{Environment.ProcessId}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StorageUnavailableException(
                $"Storage:Directory '{Root}' cannot be created or written ({ex.Message}). " +
                "Create it, owned by the daemon's user, or point Storage:Directory elsewhere.",
                ex);
        }
    }

    /// <summary>
    /// Every job on disk, newest first. A job that was running when the daemon stopped comes
    /// with what it needs to follow its run again (its run, and its log made to agree with its
    /// last checkpoint). One recorded before runs had files of their own is
    /// <see cref="JobStatus.Interrupted"/>. Unreadable entries are reported in
    /// <see cref="StoreLoadResult.Problems"/> and skipped.
    /// </summary>
    public StoreLoadResult Load(TimeProvider clock)
    {
        var jobs = new List<LoadedJob>();
        var problems = new List<string>();
        if (!Directory.Exists(JobsDirectory))
        {
            return new StoreLoadResult(jobs, problems);
        }

        foreach (var directory in Directory.EnumerateDirectories(JobsDirectory))
        {
            var name = Path.GetFileName(directory);
            if (!JobId.TryParse(name, out var id) || id.ToString() != name)
            {
                problems.Add($"skipped '{directory}': not a job directory");
                continue;
            }

            var metaPath = Path.Combine(directory, MetaFileName);
            try
            {
                var job = JsonSerializer.Deserialize<JobSnapshot>(File.ReadAllBytes(metaPath), MetaJson)
                    ?? throw new JsonException("empty document");
                if (job.JobId != id)
                {
                    throw new JsonException($"it names job {job.JobId}");
                }

                if (job.Status.IsFinal())
                {
                    jobs.Add(new LoadedJob(job, null));
                    continue;
                }

                if (ReadRunState(directory) is { } run)
                {
                    var checkpoint = JobLogFile.Resume(directory);
                    jobs.Add(new LoadedJob(job with { LineCount = checkpoint.Seq }, new JobResume(run, checkpoint)));
                    continue;
                }

                job = Interrupt(job, JobLogFile.Open(directory), clock);
                WriteMeta(job);
                jobs.Add(new LoadedJob(job, null));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException or NotSupportedException)
            {
                problems.Add($"skipped job {name}: {metaPath} is unreadable or corrupt ({ex.Message})");
            }
        }

        jobs.Sort((a, b) => b.Job.CreatedAt.CompareTo(a.Job.CreatedAt));
        return new StoreLoadResult(jobs, problems);
    }

    /// <summary>Replaces <c>job.json</c> atomically: a crash leaves the old or the new file, never half of one.</summary>
    public void WriteMeta(JobSnapshot job) => WriteAtomically(job.JobId, MetaFileName, file => JsonSerializer.Serialize(file, job, MetaJson));

    /// <summary>Replaces <c>run.json</c> atomically.</summary>
    public void WriteRunState(JobId id, RunState run) => WriteAtomically(id, RunFileName, file => JsonSerializer.Serialize(file, run, MetaJson));

    /// <summary>
    /// Deletes a job, and the files of its run when the daemon started the run itself (without
    /// sudo, under <see cref="RunsDirectory"/>); root's runs are pruned by the root script.
    /// </summary>
    public void Delete(JobId id)
    {
        var directory = DirectoryOf(id);
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }

        if (Directory.Exists(RunsDirectory))
        {
            foreach (var file in Directory.EnumerateFiles(RunsDirectory, $"*-{id}.*"))
            {
                File.Delete(file);
            }
        }
    }

    private void WriteAtomically(JobId id, string fileName, Action<Stream> write)
    {
        var directory = DirectoryOf(id);
        Directory.CreateDirectory(directory, DirectoryMode);
        var temp = Path.Combine(directory, $"{fileName}.{Guid.NewGuid():N}.tmp");
        using (var file = new FileStream(temp, new FileStreamOptions
               {
                   Mode = System.IO.FileMode.CreateNew,
                   Access = FileAccess.Write,
                   UnixCreateMode = FileMode,
               }))
        {
            write(file);
            file.Flush(flushToDisk: true);
        }

        File.Move(temp, Path.Combine(directory, fileName), overwrite: true);
    }

    private static RunState? ReadRunState(string directory)
    {
        var path = Path.Combine(directory, RunFileName);
        return File.Exists(path) ? JsonSerializer.Deserialize<RunState>(File.ReadAllBytes(path), MetaJson) : null;
    }

    private static JobSnapshot Interrupt(JobSnapshot job, JobLogFile log, TimeProvider clock)
    {
        var lineCount = log.ScanLastSeq();
        return job with
        {
            Status = JobStatus.Interrupted,
            Cancellable = false,
            FinishedAt = clock.GetUtcNow(),
            LineCount = lineCount,
            ExitCode = null,
            Reason = "runnerLost",
            Message = "The daemon stopped or crashed while this job was running, before runs outlived the daemon, so how it ended is unknown. " +
                      "Its log holds every line stored before that. Check the machine (for example 'sudo dpkg --audit') before upgrading again.",
        };
    }
}

/// <summary>
/// Which run a job follows, in the job's <c>run.json</c>. Written <c>launching</c> before the run
/// is asked to start, so a daemon that dies in between still looks for it.
/// </summary>
/// <param name="Supervisor"><c>systemd</c> or <c>detached</c>, once known.</param>
/// <param name="Stop">Who asked the run to stop, if anyone (<c>cancel</c>, <c>timeout</c>).</param>
public sealed record RunState(string Run, bool DryRun, string RunsDirectory, string State, string? Supervisor, string? Stop)
{
    public const string Launching = "launching";

    public const string Launched = "launched";
}

/// <summary>A job loaded from disk, and for one still running, what it needs to follow its run again.</summary>
public sealed record LoadedJob(JobSnapshot Job, JobResume? Resume);

public sealed record JobResume(RunState Run, LogCheckpoint Checkpoint);

public sealed record StoreLoadResult(IReadOnlyList<LoadedJob> Jobs, IReadOnlyList<string> Problems);

/// <summary>The storage directory cannot be used; the message names it.</summary>
public sealed class StorageUnavailableException(string message, Exception inner) : Exception(message, inner);
