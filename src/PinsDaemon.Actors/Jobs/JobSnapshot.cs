namespace PinsDaemon.Actors.Jobs;

/// <summary>What is known about a job at one moment; the body of <c>GET /jobs/{id}</c>.</summary>
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
    IReadOnlyList<AuditEntry>? Audit = null);
