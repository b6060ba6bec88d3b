using PinsDaemon.Actors.Jobs;

namespace PinsDaemon.Host.Endpoints;

/// <summary>The answer to <c>POST /upgrade</c>.</summary>
public sealed record JobAccepted(string JobId, string Status, bool DryRun, string StatusUrl, string LogsUrl);

/// <summary>The body of <c>GET /jobs/{id}</c> and each item of <c>GET /jobs</c>.</summary>
public sealed record JobResponse(
    string JobId,
    JobStatus Status,
    bool DryRun,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    int? ExitCode,
    long LineCount,
    string? Message,
    bool LogIncomplete,
    IReadOnlyList<AuditEntry> Audit)
{
    public static JobResponse From(JobSnapshot job) =>
        new(job.JobId.ToString(), job.Status, job.DryRun, job.CreatedAt, job.StartedAt, job.FinishedAt, job.ExitCode, job.LineCount, job.Message, job.LogIncomplete, job.Audit ?? []);
}

/// <summary>The answer to <c>POST /jobs/{id}/ticket</c>.</summary>
public sealed record TicketResponse(string Ticket, DateTimeOffset ExpiresAt, string LogsUrl);

internal static class ApiPaths
{
    public static string Job(JobId id) => $"/jobs/{id}";

    public static string Logs(JobId id) => $"/logs/{id}";
}
