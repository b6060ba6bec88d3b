using System.Diagnostics.Metrics;
using PinsDaemon.Contracts;
using PinsDaemon.Host.HostStatus;

namespace PinsDaemon.Host.Metrics;

/// <summary>
/// The daemon's instruments, recorded with System.Diagnostics.Metrics (so <c>dotnet-counters</c>
/// sees them too) and exported by <see cref="PrometheusBridge"/> under exactly these names. The apt
/// and reboot gauges carry node_exporter's names and labels (its <c>apt.sh</c>/<c>apt_info.py</c>
/// textfile collector), so alerts written against those keep working.
/// </summary>
internal sealed class PinsMetrics
{
    public const string MeterName = "PinsDaemon";

    /// <summary>Job durations from seconds (a dry run with nothing to do) to hours (a release upgrade).</summary>
    private static readonly double[] DurationBuckets = [5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400];

    private readonly Counter<long> _jobs;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _linesStreamed;
    private HostMetricsState _state = HostMetricsState.Unknown;

    public PinsMetrics(IMeterFactory meters, Func<int> openStreams)
    {
        Meter = meters.Create(MeterName);
        _jobs = Meter.CreateCounter<long>("pinsdaemon_jobs_total", description: "Jobs this daemon ran that have ended, by mode, dry run or not, status and reason.");
        _duration = Meter.CreateHistogram<double>(
            "pinsdaemon_job_duration_seconds",
            unit: "s",
            description: "How long jobs ran, from start to end.",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        _linesStreamed = Meter.CreateCounter<long>("pinsdaemon_log_lines_streamed_total", description: "Log lines sent to WebSocket clients.");
        Meter.CreateObservableGauge("pinsdaemon_log_streams", () => (long)openStreams(), description: "Log WebSockets open now.");
        Meter.CreateObservableGauge("pinsdaemon_last_success_timestamp_seconds", () => _state.LastSuccess, description: "When the newest successful job of each kind finished, in Unix seconds.");
        Meter.CreateObservableGauge("apt_upgrades_pending", () => _state.Pending, description: "Apt packages pending updates by origin.");
        Meter.CreateObservableGauge("apt_upgrades_held", () => _state.Held, description: "Apt packages pending updates but held back.");
        Meter.CreateObservableGauge("apt_autoremove_pending", () => _state.Autoremove, description: "Apt packages pending autoremoval.");
        Meter.CreateObservableGauge("apt_package_cache_timestamp_seconds", () => _state.CacheTimestamp, description: "Apt update last run time.");
        Meter.CreateObservableGauge("node_reboot_required", () => _state.RebootRequired, description: "Node reboot is required for software updates.");
    }

    public Meter Meter { get; }

    /// <summary>What the observable gauges report until the next <see cref="Update"/> (before every scrape).</summary>
    public void Update(HostMetricsState state) => Volatile.Write(ref _state, state);

    public void RecordJob(JobSnapshot job)
    {
        var mode = new KeyValuePair<string, object?>("mode", HostMetricsState.Mode(job));
        var dryRun = new KeyValuePair<string, object?>("dry_run", job.DryRun ? "true" : "false");
        var status = new KeyValuePair<string, object?>("status", job.Status.WireName());
        _jobs.Add(1, mode, dryRun, status, new KeyValuePair<string, object?>("reason", job.Reason ?? string.Empty));
        if (job.StartedAt is { } started && job.FinishedAt is { } finished)
        {
            _duration.Record(Math.Max(0, (finished - started).TotalSeconds), mode, dryRun, status);
        }
    }

    public void RecordLinesStreamed(int lines) => _linesStreamed.Add(lines);
}
