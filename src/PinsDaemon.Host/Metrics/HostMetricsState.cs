using System.Diagnostics.Metrics;
using PinsDaemon.Contracts;
using PinsDaemon.Host.HostStatus;

namespace PinsDaemon.Host.Metrics;

/// <summary>
/// The values of the observable gauges at one scrape, worked out from the job history and the
/// host's files. Unknown values have no measurement, so their series are absent rather than 0.
/// </summary>
internal sealed record HostMetricsState(
    IReadOnlyList<Measurement<long>> Pending,
    IReadOnlyList<Measurement<long>> Held,
    IReadOnlyList<Measurement<long>> Autoremove,
    IReadOnlyList<Measurement<double>> CacheTimestamp,
    IReadOnlyList<Measurement<int>> RebootRequired,
    IReadOnlyList<Measurement<double>> LastSuccess)
{
    public static readonly HostMetricsState Unknown = new([], [], [], [], [], []);

    /// <summary>The job's mode label: <c>upgrade</c> or <c>full-upgrade</c>.</summary>
    public static string Mode(JobSnapshot job) => job.Mode;

    /// <param name="holds">Packages on hold now, or null when unknown.</param>
    /// <param name="cacheTimestamp">Unix seconds of the last package-list update, or null when unknown.</param>
    public static HostMetricsState From(IReadOnlyCollection<JobSnapshot> jobs, IReadOnlySet<string>? holds, bool rebootRequired, double? cacheTimestamp)
    {
        var pending = JobHistorySummary.Pending(jobs, holds);
        return new HostMetricsState(
            pending is null ? [] : PendingByOrigin(pending.Packages),
            pending?.Held is { } held ? [Unlabelled(held.Count)] : [],
            pending?.Autoremovable is { } autoremovable ? [new Measurement<long>(autoremovable.Count)] : [],
            cacheTimestamp is { } stamp ? [new Measurement<double>(stamp)] : [],
            [new Measurement<int>(rebootRequired ? 1 : 0)],
            LastSuccesses(jobs));
    }

    /// <summary>
    /// Counted per origin and architecture exactly as node_exporter's <c>apt.sh</c> counts the
    /// <c>Inst</c> lines of apt's simulation: the origin is apt's text with its spaces removed
    /// (<c>Debian:12.15/oldstable,Debian-Security:12/oldstable-security</c>). Nothing pending is
    /// one series with empty labels and the value 0, as both of its collectors write it.
    /// </summary>
    public static IReadOnlyList<Measurement<long>> PendingByOrigin(IReadOnlyList<PendingUpdate> packages)
    {
        if (packages.Count == 0)
        {
            return [Unlabelled(0)];
        }

        return packages
            .GroupBy(package => (Origin: (package.Source ?? string.Empty).Replace(" ", string.Empty, StringComparison.Ordinal), Arch: package.Arch ?? string.Empty))
            .OrderBy(group => group.Key.Origin, StringComparer.Ordinal)
            .ThenBy(group => group.Key.Arch, StringComparer.Ordinal)
            .Select(group => new Measurement<long>(
                group.Count(),
                new KeyValuePair<string, object?>("origin", group.Key.Origin),
                new KeyValuePair<string, object?>("arch", group.Key.Arch)))
            .ToArray();
    }

    /// <summary>
    /// Held packages get empty labels: apt's simulation names a held package but not where its
    /// new version would come from.
    /// </summary>
    private static Measurement<long> Unlabelled(long value) =>
        new(value, new KeyValuePair<string, object?>("origin", string.Empty), new KeyValuePair<string, object?>("arch", string.Empty));

    private static IReadOnlyList<Measurement<double>> LastSuccesses(IEnumerable<JobSnapshot> jobs) =>
        jobs.Where(job => job.Status == JobStatus.Succeeded && job.FinishedAt is not null)
            .GroupBy(job => (Mode: Mode(job), job.DryRun))
            .Select(group => new Measurement<double>(
                group.Max(job => job.FinishedAt!.Value).ToUnixTimeMilliseconds() / 1000.0,
                new KeyValuePair<string, object?>("mode", group.Key.Mode),
                new KeyValuePair<string, object?>("dry_run", group.Key.DryRun ? "true" : "false")))
            .ToArray();
}
