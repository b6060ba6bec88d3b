using System.Text.Json;
using PinsDaemon.Actors.Jobs;
using PinsDaemon.Contracts;

namespace PinsDaemon.Actors.Storage;

/// <summary>
/// Job history under <c>Storage:Directory</c>: <c>jobs/{jobId}/job.json</c> (metadata) and
/// <c>jobs/{jobId}/log.jsonl</c> (every line). Paths are only ever built from a
/// <see cref="JobId"/>, a validated GUID, so nothing from a request can name a file.
/// </summary>
public sealed class JobStore
{
    public const string MetaFileName = "job.json";

    /// <summary>The same JSON as the API's, indented for people reading the file.</summary>
    private static readonly JsonSerializerOptions MetaJson = new(ContractJson.Options) { WriteIndented = true };

    private readonly Func<string, Stream> _openAppend;

    /// <param name="root">The storage directory.</param>
    /// <param name="openAppend">Opens a log for appending; a seam for tests that make the disk fail.</param>
    public JobStore(string root, Func<string, Stream>? openAppend = null)
    {
        Root = Path.GetFullPath(root);
        JobsDirectory = Path.Combine(Root, "jobs");
        _openAppend = openAppend ?? OpenAppend;
    }

    public string Root { get; }

    public string JobsDirectory { get; }

    /// <summary>Creates the directory if needed and proves it writable; the message names it otherwise.</summary>
    public void EnsureWritable()
    {
        try
        {
            Directory.CreateDirectory(JobsDirectory);
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
    /// Every job on disk, newest first. A job that was running when the daemon stopped becomes
    /// <see cref="JobStatus.Interrupted"/>, with its line count taken from its log. Unreadable
    /// entries are reported in <see cref="StoreLoadResult.Problems"/> and skipped.
    /// </summary>
    public StoreLoadResult Load(TimeProvider clock)
    {
        var jobs = new List<JobSnapshot>();
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

                if (!job.Status.IsFinal())
                {
                    job = Interrupt(job, OpenLog(id), clock);
                    WriteMeta(job);
                }

                jobs.Add(job);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException or NotSupportedException)
            {
                problems.Add($"skipped job {name}: {metaPath} is unreadable or corrupt ({ex.Message})");
            }
        }

        jobs.Sort((a, b) => b.CreatedAt.CompareTo(a.CreatedAt));
        return new StoreLoadResult(jobs, problems);
    }

    /// <summary>Creates the job's directory and opens its log for appending.</summary>
    public JobLogFile CreateLog(JobId id, Action<string> onFailure, Action<long> onWritten)
    {
        var directory = Path.Combine(JobsDirectory, id.ToString());
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, JobLogFile.FileName);
        return JobLogFile.ForAppend(path, _openAppend(path), WriteMeta, onFailure, onWritten);
    }

    /// <summary>Opens a finished job's log for reading.</summary>
    public JobLogFile OpenLog(JobId id) => JobLogFile.ForRead(Path.Combine(JobsDirectory, id.ToString(), JobLogFile.FileName));

    /// <summary>Replaces <c>job.json</c> atomically: a crash leaves the old or the new file, never half of one.</summary>
    public void WriteMeta(JobSnapshot job)
    {
        var directory = Path.Combine(JobsDirectory, job.JobId.ToString());
        var temp = Path.Combine(directory, $"{MetaFileName}.{Guid.NewGuid():N}.tmp");
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(file, job, MetaJson);
            file.Flush(flushToDisk: true);
        }

        File.Move(temp, Path.Combine(directory, MetaFileName), overwrite: true);
    }

    public void Delete(JobId id)
    {
        var directory = Path.Combine(JobsDirectory, id.ToString());
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
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
            Message = "The daemon stopped or crashed while this job was running, so how it ended is unknown. " +
                      "Its log holds every line stored before that. Check the machine (for example 'sudo dpkg --audit') before upgrading again.",
        };
    }

    private static Stream OpenAppend(string path) =>
        new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, bufferSize: 64 * 1024);
}

public sealed record StoreLoadResult(IReadOnlyList<JobSnapshot> Jobs, IReadOnlyList<string> Problems);

/// <summary>The storage directory cannot be used; the message names it.</summary>
public sealed class StorageUnavailableException(string message, Exception inner) : Exception(message, inner);
