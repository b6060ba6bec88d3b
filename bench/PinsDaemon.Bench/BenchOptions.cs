using System.Globalization;

namespace PinsDaemon.Bench;

/// <summary>Command-line settings; bench/run.sh passes all of them.</summary>
internal sealed class BenchOptions
{
    public required string Daemon { get; init; }

    public required string Bare { get; init; }

    public required string Webhook { get; init; }

    /// <summary>The "bare ASP.NET Core + Akka.Hosting + one actor" baseline (bench/AkkaAspNet).</summary>
    public required string Akka { get; init; }

    public required string Scripts { get; init; }

    public required string Work { get; init; }

    public int Runs { get; init; } = 5;

    /// <summary>Trigger-latency samples per run; the run's figure is their median.</summary>
    public int TriggerIterations { get; init; } = 10;

    public int Subscribers { get; init; } = 50;

    /// <summary>How long a server sits idle before its RSS is read.</summary>
    public TimeSpan Settle { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How many of the runs also run the 1,000,000-line job (the first ones).</summary>
    public int MillionRuns { get; init; } = 5;

    public int? SshPort { get; init; }

    public string? SshKey { get; init; }

    public string SshUser { get; init; } = "root";

    public string? Output { get; init; }

    public string? JsonOutput { get; init; }

    public string Label { get; init; } = "";

    public bool Quick { get; init; }

    /// <summary>Extra environment for both .NET servers (daemon and bare app), for experiments: --env NAME=VALUE, repeatable.</summary>
    public IReadOnlyDictionary<string, string> ServerEnvironment { get; init; } = new Dictionary<string, string>();

    /// <summary>Unmeasured 100k-line jobs after the cold trigger, so throughput and latency are steady-state figures.</summary>
    public int WarmupJobs { get; init; } = 6;

    public static BenchOptions Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        var quick = false;
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg == "--quick")
            {
                quick = true;
                continue;
            }

            if (!arg.StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new BenchException($"unexpected argument '{arg}' (options are --name value)");
            }

            if (arg == "--env")
            {
                var pair = args[++i].Split('=', 2);
                if (pair.Length != 2)
                {
                    throw new BenchException($"--env takes NAME=VALUE, not '{args[i]}'");
                }

                environment[pair[0]] = pair[1];
                continue;
            }

            values[arg[2..]] = args[++i];
        }

        string Required(string name) =>
            values.TryGetValue(name, out var value) ? value : throw new BenchException($"--{name} is required");

        int Int(string name, int fallback) =>
            values.TryGetValue(name, out var value) ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;

        var runs = Int("runs", quick ? 2 : 5);
        return new BenchOptions
        {
            Daemon = Required("daemon"),
            Bare = Required("bare"),
            Webhook = Required("webhook"),
            Akka = Required("akka"),
            Scripts = Required("scripts"),
            Work = Required("work"),
            Runs = runs,
            TriggerIterations = Int("trigger-iterations", quick ? 5 : 10),
            Subscribers = Int("subscribers", 50),
            Settle = TimeSpan.FromMilliseconds(Int("settle-ms", quick ? 1000 : 2000)),
            MillionRuns = Math.Min(runs, Int("million-runs", quick ? 1 : runs)),
            SshPort = values.TryGetValue("ssh-port", out var port) ? int.Parse(port, CultureInfo.InvariantCulture) : null,
            SshKey = values.GetValueOrDefault("ssh-key"),
            SshUser = values.GetValueOrDefault("ssh-user") ?? "root",
            Output = values.GetValueOrDefault("output"),
            JsonOutput = values.GetValueOrDefault("json"),
            Label = values.GetValueOrDefault("label") ?? "",
            Quick = quick,
            ServerEnvironment = environment,
            WarmupJobs = Int("warmup-jobs", 6),
        };
    }
}

/// <summary>A failure of the bench itself (a server would not start, a setting is wrong).</summary>
internal sealed class BenchException(string message) : Exception(message);
