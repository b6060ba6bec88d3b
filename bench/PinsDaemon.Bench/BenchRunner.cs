using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;

namespace PinsDaemon.Bench;

/// <summary>
/// Runs every measure <see cref="BenchOptions.Runs"/> times, one heavy thing at a time: each run
/// starts the bare ASP.NET Core app, webhook and the daemon afresh, measures the baselines and
/// then the daemon, and records one value per measure.
/// </summary>
internal sealed class BenchRunner(BenchOptions options)
{
    private const long HundredK = 100_000;
    private const long Million = 1_000_000;
    private const long Ticks = 300;
    private const string FirstLine = "started";

    /// <summary>What systemd gives a service (Debian's systemd 252 default PATH); the unit adds its Environment= lines.</summary>
    private static readonly Dictionary<string, string> ServiceEnvironment = new()
    {
        ["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        ["HOME"] = "/root",
        ["LANG"] = "C.UTF-8",
    };

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(5);

    /// <summary>"RSS 10 s after the job, clients gone" (issue 13): the daemon gives memory back 6 s after it is idle.</summary>
    private static readonly TimeSpan AfterJob = TimeSpan.FromSeconds(10);

    private readonly string _token = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
    private readonly Samples _samples = new();
    private readonly List<string> _notes = [];

    /// <summary>The service environment plus any --env experiment settings (both .NET servers get the same).</summary>
    private Dictionary<string, string> ServerEnvironment =>
        new(ServiceEnvironment.Concat(options.ServerEnvironment).GroupBy(pair => pair.Key).Select(group => group.Last()));

    private string CurrentScript => Path.Combine(options.Work, "current-script.sh");

    private string HooksFile => Path.Combine(options.Work, "hooks.json");

    public Samples Samples => _samples;

    public IReadOnlyList<string> Notes => _notes;

    public async Task RunAsync()
    {
        Directory.CreateDirectory(options.Work);
        ServerProcess.PidFile = Path.Combine(options.Work, "servers.pids");
        WriteHooks();
        await WarmUpAsync();
        for (var run = 1; run <= options.Runs; run++)
        {
            Say($"run {run}/{options.Runs}");
            await RunOnceAsync(run);
        }
    }

    /// <summary>
    /// One unmeasured start of each server and one job: the page cache holds the binaries and
    /// this client's own HTTP and WebSocket code is compiled before anything is timed.
    /// </summary>
    private async Task WarmUpAsync()
    {
        Say("warm-up (not measured)");
        await using (var bare = StartBare(0))
        {
            await bare.WaitHealthyAsync("/healthz", "ok", StartTimeout);
        }

        await using (var akka = StartAkka(0))
        {
            await akka.WaitHealthyAsync("/healthz", "ok", StartTimeout);
        }

        await using (var hook = StartWebhook(0))
        {
            await hook.WaitHealthyAsync("/", "OK", StartTimeout);
            using var http = DaemonApi.NewClient(hook.BaseAddress);
            await TimeWebhookAsync(http, "noop", null);
        }

        await using (var daemon = StartDaemon(0))
        {
            await daemon.WaitHealthyAsync("/healthz", "ok", StartTimeout);
            using var api = new DaemonApi(daemon.BaseAddress, _token);
            SetScript("first-line.sh");
            await TriggerOnceAsync(api);
            SetScript("seq-100k.sh");
            await StreamJobAsync(daemon.Pid, api, 2, LineCheck.TextIsSeq, sampleRss: false);
        }

        await Baselines.PipeToCatAsync(Script("seq-100k.sh"));
        if (options.SshPort is { } port)
        {
            await Baselines.SshFirstLineAsync(port, options.SshKey!, options.SshUser, Script("first-line.sh"), FirstLine);
        }
    }

    private async Task RunOnceAsync(int run)
    {
        await MeasureBareAsync(run);
        await MeasureAkkaAsync(run);
        await MeasureWebhookAsync(run);
        await MeasureFloorsAsync(run);
        await MeasureDaemonAsync(run);
        await MeasureMemoryAsync(run);
        await MeasureActivationAsync(run);
    }

    private async Task MeasureBareAsync(int run)
    {
        await using var bare = StartBare(run);
        Add("bare.startup.ms", run, (await bare.WaitHealthyAsync("/healthz", "ok", StartTimeout)).TotalMilliseconds);
        await Task.Delay(options.Settle);
        Add("bare.idle.rss.mib", run, ProcFs.MiB(bare.RssKiB));
    }

    private async Task MeasureAkkaAsync(int run)
    {
        await using var akka = StartAkka(run);
        Add("akka.startup.ms", run, (await akka.WaitHealthyAsync("/healthz", "ok", StartTimeout)).TotalMilliseconds);
        await Task.Delay(options.Settle);
        Add("akka.idle.rss.mib", run, ProcFs.MiB(akka.RssKiB));
    }

    private async Task MeasureWebhookAsync(int run)
    {
        await using var hook = StartWebhook(run);
        Add("webhook.startup.ms", run, (await hook.WaitHealthyAsync("/", "OK", StartTimeout)).TotalMilliseconds);
        await Task.Delay(options.Settle);
        Add("webhook.idle.rss.mib", run, ProcFs.MiB(hook.RssKiB));

        using var http = DaemonApi.NewClient(hook.BaseAddress);
        var noop = new List<double>();
        var firstLine = new List<double>();
        for (var i = 0; i < options.TriggerIterations; i++)
        {
            noop.Add(await TimeWebhookAsync(http, "noop", null));
            firstLine.Add(await TimeWebhookAsync(http, "first-line", FirstLine));
        }

        Add("webhook.trigger.ms", run, Stats.Median(noop));
        Add("webhook.firstline.ms", run, Stats.Median(firstLine));
    }

    private async Task MeasureFloorsAsync(int run)
    {
        var elapsed = await Baselines.PipeToCatAsync(Script("seq-100k.sh"));
        Add("floor.100k.ms", run, elapsed.TotalMilliseconds);
        Add("floor.100k.linesps", run, HundredK / elapsed.TotalSeconds);
        if (run <= options.MillionRuns)
        {
            elapsed = await Baselines.PipeToCatAsync(Script("seq-1m.sh"));
            Add("floor.1m.linesps", run, Million / elapsed.TotalSeconds);
        }

        var latencies = (await Baselines.PipeTimestampsAsync(Script("ticks.sh")))
            .Select(sample => (sample.ReceivedNs - sample.PrintedNs) / 1e6)
            .ToList();
        AddLatencies("pipe.latency", run, latencies);

        if (options.SshPort is { } port)
        {
            var ssh = new List<double>();
            for (var i = 0; i < options.TriggerIterations; i++)
            {
                ssh.Add((await Baselines.SshFirstLineAsync(port, options.SshKey!, options.SshUser, Script("first-line.sh"), FirstLine)).TotalMilliseconds);
            }

            Add("ssh.firstline.ms", run, Stats.Median(ssh));
        }
    }

    private async Task MeasureDaemonAsync(int run)
    {
        await using var daemon = StartDaemon(run);
        Add("daemon.startup.ms", run, (await daemon.WaitHealthyAsync("/healthz", "ok", StartTimeout)).TotalMilliseconds);
        await Task.Delay(options.Settle);
        Add("daemon.idle.rss.mib", run, ProcFs.MiB(daemon.RssKiB));
        using var api = new DaemonApi(daemon.BaseAddress, _token);

        // Trigger latency. The first job after start pays for JIT: reported on its own.
        SetScript("first-line.sh");
        var cold = await TriggerOnceAsync(api);
        Add("daemon.firstline.cold.ms", run, cold.FirstLine.TotalMilliseconds);
        var accepted = new List<double>();
        var firstLine = new List<double>();
        for (var i = 0; i < options.TriggerIterations; i++)
        {
            var trigger = await TriggerOnceAsync(api);
            accepted.Add(trigger.Accepted.TotalMilliseconds);
            firstLine.Add(trigger.FirstLine.TotalMilliseconds);
        }

        Add("daemon.trigger.ms", run, Stats.Median(accepted));
        Add("daemon.firstline.ms", run, Stats.Median(firstLine));

        // Tiered JIT keeps recompiling for a while after the first jobs (perf shows the
        // ".NET Tiered Compilation" thread busy for several jobs); what follows is steady state.
        SetScript("seq-100k.sh");
        for (var i = 0; i < options.WarmupJobs; i++)
        {
            await StreamJobAsync(daemon.Pid, api, 2, LineCheck.TextIsSeq, sampleRss: false);
        }

        // 100,000 lines to one subscriber; then the RSS the job left behind.
        SetScript("seq-100k.sh");
        var one = await StreamJobAsync(daemon.Pid, api, 1, LineCheck.TextIsSeq, sampleRss: false);
        RecordStream("daemon.100k.1sub", run, one, HundredK);

        // The same job with nobody watching, then with N watchers: its own run time.
        var none = await StreamJobAsync(daemon.Pid, api, 0, LineCheck.TextIsSeq, sampleRss: false);
        RecordStream("daemon.100k.0sub", run, none, HundredK);
        var many = await StreamJobAsync(daemon.Pid, api, options.Subscribers, LineCheck.TextIsSeq, sampleRss: false);
        RecordStream("daemon.100k.nsub", run, many, HundredK);

        // The opt-in ?batch=true frames (several lines to a frame), for comparison.
        var batched = await StreamJobAsync(daemon.Pid, api, options.Subscribers, LineCheck.TextIsSeq, sampleRss: false, batch: true);
        RecordStream("daemon.100k.nsub.batch", run, batched, HundredK);

        // Line latency: a timestamp every 10 ms, N subscribers.
        SetScript("ticks.sh");
        var ticks = await StreamJobAsync(daemon.Pid, api, options.Subscribers, LineCheck.Timestamp, sampleRss: false);
        RecordComplete("daemon.latency", run, ticks, Ticks);
        Add("daemon.latency.cpu.server.ms", run, ticks.ServerCpu.TotalMilliseconds);
        Add("daemon.latency.cpu.client.ms", run, ticks.ClientCpu.TotalMilliseconds);
        var allConnected = ticks.Subscribers.Max(s => s.ConnectedUnixNs);
        var samples = ticks.Subscribers.SelectMany(s => s.Timestamps).ToList();
        var live = samples.Where(s => s.PrintedNs >= allConnected).Select(s => (s.ReceivedNs - s.PrintedNs) / 1e6).ToList();
        if (live.Count < samples.Count)
        {
            Note($"run {run}: {samples.Count - live.Count} of {samples.Count} latency samples were printed before all {options.Subscribers} subscribers had connected and are left out");
        }

        AddLatencies("daemon.latency", run, live);
    }

    /// <summary>
    /// Issues 4 and 13, on a daemon of its own so nothing earlier skews it: RSS idle; 10 s after
    /// one 100k-line job and after three (clients gone: the daemon gives memory back once idle);
    /// the peak during a 100k-line job with N subscribers and during a 1M-line job with one, and
    /// RSS 10 s after that.
    /// </summary>
    private async Task MeasureMemoryAsync(int run)
    {
        await using var daemon = StartDaemon(run, "memory");
        await daemon.WaitHealthyAsync("/healthz", "ok", StartTimeout);
        using var api = new DaemonApi(daemon.BaseAddress, _token);
        await Task.Delay(options.Settle);
        var idle = ProcFs.MiB(daemon.RssKiB);
        Add("daemon.mem.idle.mib", run, idle);

        SetScript("seq-100k.sh");
        await StreamJobAsync(daemon.Pid, api, 1, LineCheck.TextIsSeq, sampleRss: false);
        await Task.Delay(AfterJob);
        Add("daemon.mem.after1.mib", run, ProcFs.MiB(daemon.RssKiB));
        for (var i = 0; i < 2; i++)
        {
            await StreamJobAsync(daemon.Pid, api, 1, LineCheck.TextIsSeq, sampleRss: false);
        }

        await Task.Delay(AfterJob);
        Add("daemon.mem.after3.mib", run, ProcFs.MiB(daemon.RssKiB));

        var many = await StreamJobAsync(daemon.Pid, api, options.Subscribers, LineCheck.TextIsSeq, sampleRss: true);
        RecordStream("daemon.mem.100k.nsub", run, many, HundredK);
        Add("daemon.mem.100k.nsub.peak.mib", run, ProcFs.MiB(many.PeakRssKiB));
        Add("daemon.mem.100k.nsub.over.mib", run, ProcFs.MiB(many.PeakRssKiB) - idle);
        await Task.Delay(AfterJob);

        if (run <= options.MillionRuns)
        {
            SetScript("seq-1m.sh");
            var million = await StreamJobAsync(daemon.Pid, api, 1, LineCheck.TextIsSeq, sampleRss: true);
            RecordStream("daemon.1m.1sub", run, million, Million);
            Add("daemon.1m.rss.peak.mib", run, ProcFs.MiB(million.PeakRssKiB));
            Add("daemon.1m.rss.over.mib", run, ProcFs.MiB(million.PeakRssKiB) - idle);
            await Task.Delay(AfterJob);
            Add("daemon.1m.rss.after.mib", run, ProcFs.MiB(daemon.RssKiB));
        }
    }

    /// <summary>
    /// Socket activation as systemd does it, without systemd as PID 1: systemd-socket-activate
    /// holds the listening socket and starts the daemon at the first connection. Measures that
    /// connection from connect to the first byte of the answer, then the process left between
    /// uses once the daemon exited for being idle (none: 0 MiB).
    /// </summary>
    private async Task MeasureActivationAsync(int run)
    {
        var (_, uri) = NewAddress();
        var environment = DaemonEnvironment(run, "activated");
        environment["Daemon__IdleExitAfter"] = "00:00:01";
        string[] arguments = ["-l", $"{uri.Host}:{uri.Port}", .. environment.Keys.SelectMany(name => new[] { "-E", name }), options.Daemon];
        await using var activated = ServerProcess.Start("socket-activated daemon", "/usr/bin/systemd-socket-activate", arguments, environment, Path.Combine(RunDirectory(run), "activated.log"), uri, Path.GetDirectoryName(options.Daemon));
        await activated.WaitListeningAsync(StartTimeout);
        Add("activation.firstbyte.ms", run, (await FirstByte.MeasureAsync(uri, "/healthz", StartTimeout)).TotalMilliseconds);
        if (!await activated.WaitExitAsync(StartTimeout))
        {
            throw new BenchException($"the socket-activated daemon did not exit when idle; see {activated.LogPath}");
        }

        Add("activation.between.mib", run, 0);
    }

    private async Task<Trigger> TriggerOnceAsync(DaemonApi api)
    {
        var job = await api.StartJobAsync();
        var subscriber = (await LogSocketClient.RunAllAsync(api.LogsUri(job.JobId), api.Token, LineCheck.None, 1, CancellationToken.None))[0];
        if (!subscriber.IsComplete(1))
        {
            throw new BenchException($"trigger job {job.JobId}: {subscriber.Describe(1)}");
        }

        return new Trigger(job.AcceptLatency, Stopwatch.GetElapsedTime(job.SentAt, subscriber.FirstLineAt));
    }

    /// <summary>Starts a job, runs <paramref name="subscribers"/> WebSocket clients to its end, and waits until the daemon records it finished.</summary>
    internal static async Task<JobRun> StreamJobAsync(int pid, DaemonApi api, int subscribers, LineCheck check, bool sampleRss, bool batch = false)
    {
        var serverCpu = ProcFs.CpuTime(pid);
        var clientCpu = ClientCpu();
        var sampler = sampleRss ? new RssSampler(pid) : null;
        using var timeout = new CancellationTokenSource(JobTimeout);
        var job = await api.StartJobAsync();
        var uri = api.LogsUri(job.JobId, batch);
        var results = await LogSocketClient.RunAllAsync(uri, api.Token, check, subscribers, timeout.Token);
        var info = await api.WaitFinishedAsync(job.JobId, TimeSpan.FromMilliseconds(25), JobTimeout);
        var peak = sampler?.Stop() ?? 0;
        return new JobRun(job, results, info, ProcFs.CpuTime(pid) - serverCpu, ClientCpu() - clientCpu, peak);
    }

    private void RecordStream(string key, int run, JobRun job, long lines)
    {
        if (job.Info.RunTime is { } runTime)
        {
            Add($"{key}.runtime.ms", run, runTime.TotalMilliseconds);
        }

        if (job.Info.LineCount != lines || job.Info.Status != "succeeded")
        {
            Note($"run {run} {key}: the job reports {job.Info.Status} with {job.Info.LineCount} lines, expected succeeded with {lines}");
        }

        Add($"{key}.cpu.server.ms", run, job.ServerCpu.TotalMilliseconds);
        Add($"{key}.cpu.client.ms", run, job.ClientCpu.TotalMilliseconds);
        var delivered = job.Subscribers.Sum(subscriber => subscriber.Lines);
        if (delivered > 0)
        {
            Add($"{key}.cpu.per.line.us", run, job.ServerCpu.TotalMicroseconds / delivered);
        }
        if (job.Subscribers.Count == 0)
        {
            return;
        }

        RecordComplete(key, run, job, lines);

        // Lines delivered to complete subscribers over POST -> the last end frame (or the last
        // frame of any kind): an incomplete subscriber delivers nothing that counts.
        var last = job.Subscribers.Max(s => Math.Max(s.EndAt, s.LastLineAt));
        var elapsed = last == 0 ? double.PositiveInfinity : Stopwatch.GetElapsedTime(job.Started.SentAt, last).TotalSeconds;
        Add($"{key}.linesps", run, job.Subscribers.Where(s => s.IsComplete(lines)).Sum(s => s.Lines) / elapsed);
        Add($"{key}.slowest.linesps", run, job.Subscribers.Min(s =>
            s.IsComplete(lines) ? lines / Stopwatch.GetElapsedTime(job.Started.SentAt, s.EndAt).TotalSeconds : 0));
    }

    private void RecordComplete(string key, int run, JobRun job, long lines)
    {
        var complete = job.Subscribers.Count(s => s.IsComplete(lines));
        Add($"{key}.complete", run, complete);
        Add($"{key}.subscribers", run, job.Subscribers.Count);
        foreach (var failure in job.Subscribers.Where(s => !s.IsComplete(lines)).Select(s => s.Describe(lines)).Distinct().Take(3))
        {
            Note($"run {run} {key}: subscriber incomplete: {failure}");
        }
    }

    private void AddLatencies(string key, int run, List<double> latencies)
    {
        if (latencies.Count == 0)
        {
            Note($"run {run} {key}: no latency samples");
            return;
        }

        Add($"{key}.p50.ms", run, Stats.Percentile(latencies, 50));
        Add($"{key}.p99.ms", run, Stats.Percentile(latencies, 99));
        Add($"{key}.max.ms", run, latencies.Max());
        Add($"{key}.samples", run, latencies.Count);
    }

    private static async Task<double> TimeWebhookAsync(HttpClient http, string hook, string? expected)
    {
        var started = Stopwatch.GetTimestamp();
        using var response = await http.PostAsync($"/hooks/{hook}", null);
        var body = await response.Content.ReadAsStringAsync();
        var elapsed = Stopwatch.GetElapsedTime(started);
        if (!response.IsSuccessStatusCode || (expected is not null && !body.Contains(expected, StringComparison.Ordinal)))
        {
            throw new BenchException($"webhook /hooks/{hook} answered {(int)response.StatusCode}: {body}");
        }

        return elapsed.TotalMilliseconds;
    }

    private ServerProcess StartDaemon(int run, string name = "daemon")
    {
        var (url, uri) = NewAddress();
        return ServerProcess.Start("pinsdaemon", options.Daemon, ["--urls", url], DaemonEnvironment(run, name), Path.Combine(RunDirectory(run), $"{name}.log"), uri);
    }

    /// <summary>What the unit gives the daemon, with a fresh storage directory.</summary>
    private Dictionary<string, string> DaemonEnvironment(int run, string name)
    {
        var storage = Path.Combine(RunDirectory(run), $"{name}-storage");
        Directory.CreateDirectory(storage);
        return new Dictionary<string, string>(ServerEnvironment)
        {
            ["API_TOKEN"] = _token,
            ["Upgrade__ScriptPath"] = CurrentScript,
            ["Upgrade__UseSudo"] = "false",
            ["Storage__Directory"] = storage,
        };
    }

    private ServerProcess StartBare(int run)
    {
        var (url, uri) = NewAddress();
        return ServerProcess.Start("bare ASP.NET Core", options.Bare, ["--urls", url], ServerEnvironment, Path.Combine(RunDirectory(run), "bare.log"), uri);
    }

    private ServerProcess StartAkka(int run)
    {
        var (url, uri) = NewAddress();
        return ServerProcess.Start("ASP.NET Core + Akka.Hosting", options.Akka, ["--urls", url], ServerEnvironment, Path.Combine(RunDirectory(run), "akka.log"), uri);
    }

    private ServerProcess StartWebhook(int run)
    {
        var (_, uri) = NewAddress();
        string[] arguments = ["-hooks", HooksFile, "-ip", "127.0.0.1", "-port", uri.Port.ToString(CultureInfo.InvariantCulture)];
        return ServerProcess.Start("webhook", options.Webhook, arguments, ServiceEnvironment, Path.Combine(RunDirectory(run), "webhook.log"), uri);
    }

    private void WriteHooks()
    {
        object[] hooks =
        [
            new Dictionary<string, object>
            {
                ["id"] = "noop",
                ["execute-command"] = Script("noop.sh"),
                ["command-working-directory"] = "/",
            },
            new Dictionary<string, object>
            {
                ["id"] = "first-line",
                ["execute-command"] = Script("first-line.sh"),
                ["command-working-directory"] = "/",
                ["include-command-output-in-response"] = true,
            },
        ];
        File.WriteAllText(HooksFile, JsonSerializer.Serialize(hooks));
    }

    /// <summary>The daemon runs one configured script; the bench points that path at the scenario's script between jobs.</summary>
    private void SetScript(string name)
    {
        File.Delete(CurrentScript);
        File.CreateSymbolicLink(CurrentScript, Script(name));
    }

    private string Script(string name) => Path.Combine(options.Scripts, name);

    private string RunDirectory(int run)
    {
        var directory = Path.Combine(options.Work, $"run-{run}");
        Directory.CreateDirectory(directory);
        return directory;
    }

    private void Add(string key, int run, double value) => _samples.Add(key, run, value);

    private void Note(string note)
    {
        _notes.Add(note);
        Say(note);
    }

    private static (string Url, Uri Uri) NewAddress()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var url = $"http://127.0.0.1:{port}";
        return (url, new Uri(url));
    }

    internal static TimeSpan ClientCpu()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }

    private static void Say(string message) => Console.Error.WriteLine($"bench: {message}");

    private sealed record Trigger(TimeSpan Accepted, TimeSpan FirstLine);

    internal sealed record JobRun(
        StartedJob Started,
        IReadOnlyList<SubscriberResult> Subscribers,
        JobInfo Info,
        TimeSpan ServerCpu,
        TimeSpan ClientCpu,
        long PeakRssKiB);
}
