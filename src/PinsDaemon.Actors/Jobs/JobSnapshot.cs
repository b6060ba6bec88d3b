namespace PinsDaemon.Actors.Jobs;

/// <summary>
/// What is known about a job at one moment: the body of <c>GET /jobs/{id}</c> and, in the same
/// shape, the job's <c>job.json</c> on disk.
/// </summary>
public sealed record JobSnapshot(
    JobId JobId,
    JobStatus Status,
    bool DryRun,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    int? ExitCode,
    long LineCount,
    string? Message,
    bool LogIncomplete = false,
    IReadOnlyList<AuditEntry>? Audit = null)
{
    /// <summary>Attempts to act on the job, oldest first; never null.</summary>
    public IReadOnlyList<AuditEntry> Audit { get; init; } = Audit ?? [];
}
