using System.Text.Json;
using System.Text.Json.Serialization;
using PinsDaemon.Actors.Jobs;

namespace PinsDaemon.Actors.Storage;

/// <summary>The shape of <c>job.json</c>: the same fields as <c>GET /jobs/{id}</c>.</summary>
internal sealed record StoredJob(
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
    IReadOnlyList<AuditEntry>? Audit)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false) },
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
    };

    public static StoredJob From(JobSnapshot job) =>
        new(job.JobId.ToString(), job.Status, job.DryRun, job.CreatedAt, job.StartedAt, job.FinishedAt, job.ExitCode, job.LineCount, job.Message, job.LogIncomplete, job.Audit);

    public JobSnapshot ToSnapshot(JobId id) =>
        new(id, Status, DryRun, CreatedAt, StartedAt, FinishedAt, ExitCode, LineCount, Message, LogIncomplete, Audit ?? []);
}
