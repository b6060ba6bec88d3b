using PinsDaemon.Contracts;

namespace PinsDaemon.Host.HostStatus;

/// <summary>
/// What the job history says about the host: the running job, the last successful apply, and
/// the updates the last check found. Pure functions of the jobs, so the rules have tests of their
/// own; scheduled checks feed them the same way as checks asked for over the API.
/// </summary>
internal static class JobHistorySummary
{
    public static HostJob? Running(IEnumerable<JobSnapshot> jobs) =>
        jobs.Where(job => job.Status == JobStatus.Running).Select(ToHostJob).FirstOrDefault();

    public static HostJob? LastSuccessfulApply(IEnumerable<JobSnapshot> jobs) =>
        jobs.Where(job => !job.DryRun && job.Status == JobStatus.Succeeded)
            .MaxBy(job => job.FinishedAt) is { } apply ? ToHostJob(apply) : null;

    /// <summary>
    /// The newest successful dry run, unless an apply has run (or is running) since it was
    /// started: that apply may have installed what the check found, so what is pending is then
    /// unknown until the next check. Cancelled and timed-out applies never reach dpkg and do not count.
    /// </summary>
    public static JobSnapshot? LastCheck(IReadOnlyCollection<JobSnapshot> jobs)
    {
        var check = jobs.Where(job => job.DryRun && job.Status == JobStatus.Succeeded && job.Plan is not null)
            .MaxBy(job => job.FinishedAt);
        if (check is null)
        {
            return null;
        }

        var appliedSince = jobs.Any(job => !job.DryRun
            && job.CreatedAt > check.CreatedAt
            && job.Status is not (JobStatus.Cancelled or JobStatus.TimedOut));
        return appliedSince ? null : check;
    }

    /// <param name="holds">Packages on hold now, or null when unknown.</param>
    public static PendingUpdates? Pending(IReadOnlyCollection<JobSnapshot> jobs, IReadOnlySet<string>? holds)
    {
        if (LastCheck(jobs) is not { } check)
        {
            return null;
        }

        var packages = check.Plan!
            .Where(entry => entry.Action is "upgrade" or "install")
            .Select(entry => new PendingUpdate(entry.Package, entry.From, entry.To, entry.Arch, IsSecurity(entry.Origin) ? "security" : "other", entry.Origin, entry.Action))
            .ToArray();
        var held = check.KeptBack is { } keptBack && holds is not null
            ? keptBack.Where(holds.Contains).ToArray()
            : null;
        return new PendingUpdates(
            check.JobId,
            check.FinishedAt ?? check.CreatedAt,
            packages.Length,
            packages.Count(package => package.Origin == "security"),
            packages,
            held,
            check.Autoremovable);
    }

    /// <summary>
    /// True when any source apt names for the version is a security archive
    /// (<c>Debian-Security:12/stable-security</c>, <c>Ubuntu:24.04/noble-security</c>), the same
    /// test node_exporter's apt collector uses (<c>-security</c>).
    /// </summary>
    public static bool IsSecurity(string? source) =>
        source is not null && source.Contains("-security", StringComparison.OrdinalIgnoreCase);

    private static HostJob ToHostJob(JobSnapshot job) =>
        new(job.JobId, job.Status, job.DryRun, job.CreatedAt, job.StartedAt, job.FinishedAt, job.Progress, ApiPaths.Job(job.JobId));
}
