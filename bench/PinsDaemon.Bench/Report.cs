using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace PinsDaemon.Bench;

/// <summary>The markdown table: each PinsDaemon figure beside its same-run baseline and the ratio.</summary>
internal static class Report
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static string Render(BenchOptions options, Samples samples, IReadOnlyList<string> notes, DateTimeOffset started, DateTimeOffset finished, string loadBefore, string loadAfter)
    {
        var n = options.Subscribers;
        Row[] rows =
        [
            new("Idle RSS after start (MiB)", "daemon.idle.rss.mib", "ASP.NET Core + Akka.Hosting + one actor", "akka.idle.rss.mib", "≤ 1.1× Akka baseline", s => RatioAtMost(s, "daemon.idle.rss.mib", "akka.idle.rss.mib", 1.1)),
            new("Idle RSS after start (MiB)", "daemon.idle.rss.mib", "bare ASP.NET Core", "bare.idle.rss.mib"),
            new("Idle RSS after start (MiB)", "daemon.idle.rss.mib", "webhook", "webhook.idle.rss.mib"),
            new("Idle memory between uses, socket-activated (MiB)", "activation.between.mib", "the daemon idle, resident", "daemon.idle.rss.mib", "0: no process", s => AtMost(s, "activation.between.mib", 0)),
            new("Start-up → first 200 from /healthz (ms)", "daemon.startup.ms", "ASP.NET Core + Akka.Hosting + one actor", "akka.startup.ms", "≤ 1.1× Akka baseline", s => RatioAtMost(s, "daemon.startup.ms", "akka.startup.ms", 1.1)),
            new("Start-up → first 200 from /healthz (ms)", "daemon.startup.ms", "bare ASP.NET Core", "bare.startup.ms"),
            new("Start-up → first 200 (ms)", "daemon.startup.ms", "webhook (GET /)", "webhook.startup.ms"),
            new("First request after socket activation: connect → first byte (ms)", "activation.firstbyte.ms", "the daemon's start-up → first 200", "daemon.startup.ms"),
            new("First request after socket activation: connect → first byte (ms)", "activation.firstbyte.ms", "bare ASP.NET Core start-up", "bare.startup.ms"),
            new("Memory test: RSS of a fresh daemon, idle (MiB)", "daemon.mem.idle.mib", "ASP.NET Core + Akka.Hosting + one actor, idle", "akka.idle.rss.mib"),
            new("RSS 10 s after one 100k-line job, client gone (MiB)", "daemon.mem.after1.mib", "same daemon, idle at start", "daemon.mem.idle.mib", "≤ 1.2× idle", s => RatioAtMost(s, "daemon.mem.after1.mib", "daemon.mem.idle.mib", 1.2)),
            new("RSS 10 s after three 100k-line jobs, clients gone (MiB)", "daemon.mem.after3.mib", "same daemon, idle at start", "daemon.mem.idle.mib", "≤ 1.2× idle", s => RatioAtMost(s, "daemon.mem.after3.mib", "daemon.mem.idle.mib", 1.2)),
            new($"Peak RSS, 100k-line job, {n} subscribers (MiB)", "daemon.mem.100k.nsub.peak.mib", "same daemon, idle at start", "daemon.mem.idle.mib", "≤ idle + 96 MiB", s => AtMost(s, "daemon.mem.100k.nsub.over.mib", 96), Completeness: "daemon.mem.100k.nsub"),
            new("Peak RSS, 1M-line job, 1 subscriber (MiB)", "daemon.1m.rss.peak.mib", "same daemon, idle at start", "daemon.mem.idle.mib", "≤ idle + 64 MiB", s => AtMost(s, "daemon.1m.rss.over.mib", 64), Completeness: "daemon.1m.1sub"),
            new("RSS 10 s after the 1M-line job (MiB)", "daemon.1m.rss.after.mib", "same daemon, idle at start", "daemon.mem.idle.mib"),
            new("Trigger: POST /upgrade → 202 (ms)", "daemon.trigger.ms", "webhook: POST → 200, no-op hook", "webhook.trigger.ms"),
            new("Trigger: POST → first line at WebSocket client (ms)", "daemon.firstline.ms", "ssh → first line", "ssh.firstline.ms", "faster than ssh (< 1×)", s => RatioAtMost(s, "daemon.firstline.ms", "ssh.firstline.ms", 0.9999)),
            new("Trigger: POST → first line (ms)", "daemon.firstline.ms", "webhook: POST → output in response", "webhook.firstline.ms"),
            new("First trigger after start (cold JIT) → first line (ms)", "daemon.firstline.cold.ms", "ssh → first line", "ssh.firstline.ms"),
            new("100k lines → 1 subscriber (lines/s)", "daemon.100k.1sub.linesps", "script | cat", "floor.100k.linesps", "≥ 250,000 lines/s", s => AtLeast(s, "daemon.100k.1sub.linesps", 250_000), "daemon.100k.1sub", Completeness: "daemon.100k.1sub"),
            new($"100k lines → {n} subscribers, one message per line, total delivered (lines/s)", "daemon.100k.nsub.linesps", "script | cat", "floor.100k.linesps", $"≥ 1,000,000 lines/s, every subscriber complete", s => AtLeast(s, "daemon.100k.nsub.linesps", 1_000_000) is true && AllComplete(s, "daemon.100k.nsub"), "daemon.100k.nsub", Completeness: "daemon.100k.nsub"),
            new($"Daemon CPU per delivered line per subscriber, {n} subscribers, one message per line (µs)", "daemon.100k.nsub.cpu.per.line.us", "same, 1 subscriber", "daemon.100k.1sub.cpu.per.line.us", "≤ 1 µs", s => AtMost(s, "daemon.100k.nsub.cpu.per.line.us", 1)),
            new($"100k lines → {n} subscribers, slowest subscriber (lines/s)", "daemon.100k.nsub.slowest.linesps", "script | cat", "floor.100k.linesps"),
            new($"100k lines → {n} subscribers, opt-in ?batch=true frames (lines/s)", "daemon.100k.nsub.batch.linesps", "same job, one line per frame", "daemon.100k.nsub.linesps", Cpu: "daemon.100k.nsub.batch", Completeness: "daemon.100k.nsub.batch"),
            new("Job run time, 100k lines, no subscriber (ms)", "daemon.100k.0sub.runtime.ms", "script | cat", "floor.100k.ms", Cpu: "daemon.100k.0sub"),
            new("Job run time, 100k lines, 1 subscriber (ms)", "daemon.100k.1sub.runtime.ms", "same job, no subscriber", "daemon.100k.0sub.runtime.ms"),
            new($"Job run time, 100k lines, {n} subscribers (ms)", "daemon.100k.nsub.runtime.ms", "same job, no subscriber", "daemon.100k.0sub.runtime.ms", "≤ 1.1×", s => RatioAtMost(s, "daemon.100k.nsub.runtime.ms", "daemon.100k.0sub.runtime.ms", 1.1)),
            new($"Line latency p50, {n} subscribers (ms)", "daemon.latency.p50.ms", "pipe to one reader", "pipe.latency.p50.ms", Cpu: "daemon.latency", Completeness: "daemon.latency"),
            new($"Line latency p99, {n} subscribers (ms)", "daemon.latency.p99.ms", "pipe to one reader", "pipe.latency.p99.ms", "≤ 10 ms", s => AtMost(s, "daemon.latency.p99.ms", 10)),
            new($"Line latency max, {n} subscribers (ms)", "daemon.latency.max.ms", "pipe to one reader", "pipe.latency.max.ms"),
            new("1M lines → 1 subscriber (lines/s)", "daemon.1m.1sub.linesps", "script | cat", "floor.1m.linesps", Cpu: "daemon.1m.1sub", Completeness: "daemon.1m.1sub"),
        ];

        var text = new StringBuilder();
        text.AppendLine(Invariant, $"### PinsDaemon benchmark, {finished:yyyy-MM-dd HH:mm} UTC");
        text.AppendLine();
        text.AppendLine(Invariant, $"- Machine: {MachineInfo()}");
        text.AppendLine(Invariant, $"- Build: {(options.Label.Length > 0 ? options.Label : "unlabelled")}; bench client on {RuntimeInformation.FrameworkDescription}");
        text.AppendLine(Invariant, $"- Runs: {options.Runs}{(options.Quick ? " (quick mode)" : "")}; trigger samples per run: {options.TriggerIterations} (the run's figure is their median); 1M-line job in {options.MillionRuns} run(s); idle RSS read {options.Settle.TotalSeconds:0.#} s after the first 200; took {(finished - started).TotalMinutes:0.0} min");
        text.AppendLine(Invariant, $"- Load average before / after: {loadBefore} / {loadAfter}");
        if (options.ServerEnvironment.Count > 0)
        {
            text.AppendLine(Invariant, $"- Experiment: both .NET servers started with {string.Join(", ", options.ServerEnvironment.Select(pair => $"{pair.Key}={pair.Value}"))}");
        }

        text.AppendLine(Invariant, $"- Streaming figures are steady state: {options.WarmupJobs} unmeasured 100k-line jobs (2 subscribers) run first (the cold first job is its own row); the memory rows come from a fresh daemon of their own, without warm-up");
        text.AppendLine();
        text.AppendLine("Each cell: median (min–max) over the runs. Ratio = PinsDaemon ÷ baseline, taken run by run. CPU = user+system time during the job: the daemon's (/proc/PID/stat) and this client's (Process.TotalProcessorTime), medians.");
        text.AppendLine();
        text.AppendLine("| Measure | PinsDaemon | Baseline (same run) | Ratio | Target | Met | Daemon CPU (ms) | Client CPU (ms) |");
        text.AppendLine("|---|---:|---|---:|---|:---:|---:|---:|");
        foreach (var row in rows)
        {
            var values = samples.Values(row.Key);
            if (values.Count == 0)
            {
                continue;
            }

            var daemon = Cell(values);
            if (row.Completeness is { } key && samples.Values($"{key}.subscribers").Count > 0)
            {
                var complete = samples.Values($"{key}.complete").Sum();
                var total = samples.Values($"{key}.subscribers").Sum();
                daemon += $"<br>complete: {complete:0}/{total:0}";
            }

            var baseline = row.BaselineKey is null || samples.Values(row.BaselineKey).Count == 0
                ? "–"
                : $"{row.BaselineName}: {Cell(samples.Values(row.BaselineKey))}";
            var ratios = row.BaselineKey is null ? [] : samples.Ratios(row.Key, row.BaselineKey);
            var ratio = ratios.Count == 0 ? "–" : RatioCell(ratios);
            var met = row.Met?.Invoke(samples) switch
            {
                true => "yes",
                false => "**no**",
                null => "–",
            };
            var serverCpu = row.Cpu is null ? "–" : Cell(samples.Values($"{row.Cpu}.cpu.server.ms"), medianOnly: true);
            var clientCpu = row.Cpu is null ? "–" : Cell(samples.Values($"{row.Cpu}.cpu.client.ms"), medianOnly: true);
            text.AppendLine(Invariant, $"| {row.Measure} | {daemon} | {baseline} | {ratio} | {row.Target} | {met} | {serverCpu} | {clientCpu} |");
        }

        if (notes.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("Notes:");
            foreach (var note in notes)
            {
                text.AppendLine(Invariant, $"- {note}");
            }
        }

        return text.ToString();
    }

    public static string MachineInfo()
    {
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        var memKiB = long.Parse(
            File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1],
            Invariant);
        var kernel = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        var os = File.Exists("/etc/os-release")
            ? File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))?.Split('=', 2)[1].Trim('"')
            : null;
        return $"{Environment.ProcessorCount} CPUs (nproc), {cpu}, {memKiB / 1024.0 / 1024.0:0.0} GiB RAM, Linux {kernel}{(os is null ? "" : $", {os}")}";
    }

    public static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    private static bool? RatioAtMost(Samples samples, string key, string baseline, double limit)
    {
        var ratios = samples.Ratios(key, baseline);
        return ratios.Count == 0 ? null : Stats.Median(ratios) <= limit;
    }

    private static bool? AtLeast(Samples samples, string key, double limit)
    {
        var values = samples.Values(key);
        return values.Count == 0 ? null : Stats.Median(values) >= limit;
    }

    private static bool? AtMost(Samples samples, string key, double limit)
    {
        var values = samples.Values(key);
        return values.Count == 0 ? null : Stats.Median(values) <= limit;
    }

    private static bool AllComplete(Samples samples, string key) =>
        samples.Values($"{key}.complete").Sum() == samples.Values($"{key}.subscribers").Sum();

    private static string Cell(IReadOnlyList<double> values, bool medianOnly = false)
    {
        if (values.Count == 0)
        {
            return "–";
        }

        var median = Format(Stats.Median(values));
        return values.Count == 1 || medianOnly ? median : $"{median} ({Format(values.Min())}–{Format(values.Max())})";
    }

    private static string RatioCell(IReadOnlyList<double> ratios)
    {
        var median = $"{Stats.Median(ratios).ToString(RatioFormat(Stats.Median(ratios)), Invariant)}×";
        return ratios.Count == 1
            ? median
            : $"{median} ({ratios.Min().ToString(RatioFormat(ratios.Min()), Invariant)}–{ratios.Max().ToString(RatioFormat(ratios.Max()), Invariant)})";
    }

    private static string RatioFormat(double ratio) => ratio < 0.1 ? "0.###" : "0.00";

    private static string Format(double value) => Math.Abs(value) switch
    {
        >= 10_000 => value.ToString("#,0", Invariant),
        >= 100 => value.ToString("0", Invariant),
        >= 10 => value.ToString("0.0", Invariant),
        _ => value.ToString("0.00", Invariant),
    };

    private sealed record Row(
        string Measure,
        string Key,
        string? BaselineName = null,
        string? BaselineKey = null,
        string Target = "–",
        Func<Samples, bool?>? Met = null,
        string? Cpu = null,
        string? Completeness = null);
}
