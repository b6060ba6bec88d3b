using System.Diagnostics;

namespace PinsDaemon.Bench;

/// <summary>
/// <c>pinsdaemon-bench probe</c>: one scenario against a daemon someone else started, for
/// profiling (attach dotnet-trace or dotnet-counters to it first). See bench/README.md.
/// </summary>
internal static class Probe
{
    private static readonly Dictionary<string, (string Script, long Lines, LineCheck Check)> Scripts = new()
    {
        ["seq-100k"] = ("seq-100k.sh", 100_000, LineCheck.TextIsSeq),
        ["seq-1m"] = ("seq-1m.sh", 1_000_000, LineCheck.TextIsSeq),
        ["ticks"] = ("ticks.sh", 300, LineCheck.Timestamp),
        ["first-line"] = ("first-line.sh", 1, LineCheck.None),
    };

    public static async Task<int> RunAsync(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            values[args[i].TrimStart('-')] = args[i + 1];
        }

        string Get(string name) => values.TryGetValue(name, out var value)
            ? value
            : throw new BenchException($"probe needs --{name}; usage: probe --url URL --token T --pid PID --link SCRIPT_PATH_THE_DAEMON_RUNS --scripts DIR --script {string.Join('|', Scripts.Keys)} [--subscribers N] [--repeat N] [--batch true]");

        var (script, lines, check) = Scripts[Get("script")];
        var link = Get("link");
        File.Delete(link);
        File.CreateSymbolicLink(link, Path.Combine(Get("scripts"), script));
        var pid = int.Parse(Get("pid"), System.Globalization.CultureInfo.InvariantCulture);
        var subscribers = int.Parse(values.GetValueOrDefault("subscribers") ?? "1", System.Globalization.CultureInfo.InvariantCulture);
        var repeat = int.Parse(values.GetValueOrDefault("repeat") ?? "1", System.Globalization.CultureInfo.InvariantCulture);
        var batch = values.GetValueOrDefault("batch") == "true";
        using var api = new DaemonApi(new Uri(Get("url")), Get("token"));
        for (var i = 0; i < repeat; i++)
        {
            var run = await BenchRunner.StreamJobAsync(pid, api, subscribers, check, sampleRss: true, batch);
            var last = run.Subscribers.Count == 0 ? 0 : run.Subscribers.Max(s => Math.Max(s.EndAt, s.LastLineAt));
            var elapsed = last == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(run.Started.SentAt, last);
            var complete = run.Subscribers.Count(s => s.IsComplete(lines));
            Console.WriteLine(
                $"{script}: {subscribers} subscriber(s), {complete} complete, POST -> last frame {elapsed.TotalMilliseconds:0} ms " +
                $"({(elapsed > TimeSpan.Zero ? complete * lines / elapsed.TotalSeconds : 0):#,0} lines/s), job run time {run.Info.RunTime?.TotalMilliseconds:0} ms, " +
                $"daemon CPU {run.ServerCpu.TotalMilliseconds:0} ms, client CPU {run.ClientCpu.TotalMilliseconds:0} ms, peak RSS {run.PeakRssKiB / 1024} MiB, RSS now {ProcFs.RssKiB(pid) / 1024} MiB");
            foreach (var failure in run.Subscribers.Where(s => !s.IsComplete(lines)).Select(s => s.Describe(lines)).Distinct().Take(3))
            {
                Console.WriteLine($"  incomplete: {failure}");
            }

            if (check == LineCheck.Timestamp)
            {
                var latencies = run.Subscribers.SelectMany(s => s.Timestamps).Select(t => (t.ReceivedNs - t.PrintedNs) / 1e6).ToList();
                Console.WriteLine($"  latency ms: p50 {Stats.Percentile(latencies, 50):0.00}, p99 {Stats.Percentile(latencies, 99):0.00}, max {latencies.DefaultIfEmpty().Max():0.00} ({latencies.Count} samples)");
            }
        }

        return 0;
    }
}
