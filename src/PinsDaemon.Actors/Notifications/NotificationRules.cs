using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using PinsDaemon.Contracts;

namespace PinsDaemon.Actors.Notifications;

/// <summary>
/// Which events a finished job raises, what a notification says, and its id: pure decisions,
/// tested on their own; the <see cref="NotificationDispatcher"/> only gathers the inputs.
/// </summary>
public static partial class NotificationRules
{
    /// <summary>Package names listed in one notification: enough to act on, small enough for a phone.</summary>
    public const int MaxPackages = 100;

    /// <summary>
    /// The events of <paramref name="job"/>, and the fingerprint of the pending updates to remember
    /// (null: keep the last one). <c>updatesAvailable</c> fires only when a dry run's pending set
    /// (package and version) differs from the last one seen, so a daily check does not repeat
    /// itself; a dry run that finds nothing resets it, so the same set later is news again. A
    /// scheduled check raises no <c>succeeded</c>: it runs every day, and what it found is
    /// <c>updatesAvailable</c>'s to say; a check that fails is still <c>failed</c>.
    /// </summary>
    public static NotificationDecision Decide(JobSnapshot job, string? lastUpdates)
    {
        var events = new List<string>();
        string? updates = null;
        switch (job.Status)
        {
            case JobStatus.Succeeded:
                if (job.Trigger != JobTriggers.Schedule)
                {
                    events.Add(NotificationEvents.Succeeded);
                }

                if (!job.DryRun && job.RebootRequired == true)
                {
                    events.Add(NotificationEvents.RebootRequired);
                }

                if (job.DryRun && job.Plan is { } plan)
                {
                    updates = Fingerprint(plan);
                    if (plan.Count > 0 && updates != lastUpdates)
                    {
                        events.Add(NotificationEvents.UpdatesAvailable);
                    }
                }

                break;
            case JobStatus.Failed or JobStatus.TimedOut or JobStatus.Interrupted:
                events.Add(NotificationEvents.Failed);
                break;
        }

        return new NotificationDecision(events, updates);
    }

    /// <summary>The event id (<c>webhook-id</c>): the same for one job, event and target, whatever happens, so receivers can drop a repeat.</summary>
    public static string DeliveryId(JobId job, string @event, NotificationTarget target) =>
        "msg_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{job}|{@event}|{target.Key}")))[..32];

    /// <summary>
    /// The webhook's body. Only what the daemon decided itself: codes, times, counts, and package
    /// names that pass Debian's rules for names. No log line, message or path: those carry text
    /// from apt and its mirrors, which an attacker may have written.
    /// </summary>
    public static string Body(JobSnapshot job, string @event, string hostName, DateTimeOffset now)
    {
        IReadOnlyList<string>? packages = @event switch
        {
            NotificationEvents.UpdatesAvailable => job.Plan?.Select(entry => entry.Package).ToArray(),
            NotificationEvents.RebootRequired => job.RebootRequiredPackages,
            _ => null,
        };
        var data = new NotificationData(
            job.JobId, hostName, job.Status.WireName(), job.Reason, job.DryRun, job.Mode, job.Trigger,
            job.CreatedAt, job.StartedAt, job.FinishedAt, job.ExitCode,
            packages?.Count, packages?.Where(name => PackageName().IsMatch(name)).Take(MaxPackages).ToArray());
        return JsonSerializer.Serialize(new NotificationPayload(@event, now, data), ContractJson.Options);
    }

    /// <summary>What ntfy shows: a title, a plain-text message, a priority (1-5) and tags (emoji names).</summary>
    public static NtfyMessage Ntfy(string body)
    {
        var payload = JsonSerializer.Deserialize<NotificationPayload>(body, ContractJson.Options)
            ?? throw new JsonException("empty notification");
        var data = payload.Data;
        var what = data.DryRun ? "dry run" : data.Mode;
        var packages = data.Packages is { Count: > 0 } names
            ? " " + string.Join(", ", names.Take(20)) + (data.PackageCount > 20 ? $" and {data.PackageCount - 20} more" : string.Empty) + "."
            : string.Empty;
        var job = $"Job {data.JobId} ({what})";
        return payload.Type switch
        {
            NotificationEvents.Failed => new NtfyMessage(
                $"{data.Host}: {what} {data.Status}", $"{job} ended {data.Status}{(data.Reason is null ? string.Empty : $" ({data.Reason})")}.", 4, "warning"),
            NotificationEvents.RebootRequired => new NtfyMessage(
                $"{data.Host}: reboot required", $"{job} left the machine needing a reboot.{packages}", 4, "arrows_counterclockwise"),
            NotificationEvents.UpdatesAvailable => new NtfyMessage(
                $"{data.Host}: {data.PackageCount} updates available", $"{job} found {data.PackageCount} pending updates.{packages}", 3, "package"),
            _ => new NtfyMessage($"{data.Host}: {what} succeeded", $"{job} succeeded.", 2, "white_check_mark"),
        };
    }

    private static string Fingerprint(IReadOnlyList<PlanEntry> plan) => plan.Count == 0
        ? string.Empty
        : Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', plan.Select(entry => $"{entry.Package} {entry.Action} {entry.To}").Order(StringComparer.Ordinal)))));

    /// <summary>Debian policy 5.6.1: lower-case letters, digits, '+', '-' and '.', at least two, starting alphanumeric; ':arch' allowed.</summary>
    [GeneratedRegex("^[a-z0-9][a-z0-9+.-]{1,127}(:[a-z0-9-]{1,32})?$")]
    private static partial Regex PackageName();
}

/// <param name="Updates">The pending updates' fingerprint to remember; null: keep the last one.</param>
public sealed record NotificationDecision(IReadOnlyList<string> Events, string? Updates);

/// <summary>The webhook's body: <c>type</c> is the event, as Standard Webhooks asks, and <c>timestamp</c> when it happened.</summary>
public sealed record NotificationPayload(string Type, DateTimeOffset Timestamp, NotificationData Data);

/// <param name="Trigger"><c>api</c> or <c>schedule</c> (a scheduled check), as the job says.</param>
/// <param name="PackageCount">How many packages the event concerns (pending updates, packages needing the reboot); null for other events.</param>
/// <param name="Packages">Their names, at most <see cref="NotificationRules.MaxPackages"/>.</param>
public sealed record NotificationData(
    JobId JobId,
    string Host,
    string Status,
    string? Reason,
    bool DryRun,
    string Mode,
    string Trigger,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    int? ExitCode,
    int? PackageCount,
    IReadOnlyList<string>? Packages);

public sealed record NtfyMessage(string Title, string Message, int Priority, string Tags);
