// Fleet scale on one machine: N daemons (default 20) in this process, one controller, the rest
// hosts, over mutual TLS on loopback. Measures membership convergence, the idle cost of gossip,
// and the coordinator's overhead per host in a rolling dry run of no-op jobs. Prints markdown.
//
//   dotnet run -c Release --project bench/FleetScale -- [nodes] [batch]
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Akka.Actor;
using Akka.Cluster;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using PinsDaemon.Contracts;
using PinsDaemon.Host;

var count = args.Length > 0 ? int.Parse(args[0]) : 20;
var batch = args.Length > 1 ? int.Parse(args[1]) : 5;
var root = Directory.CreateTempSubdirectory("pinsdaemon-fleet-scale-").FullName;
// Run from the repository's root: the certificates come from its own ops script.
var script = Path.Combine(Environment.CurrentDirectory, "ops", "fleet-certs.sh");
var nodes = new List<(string Name, WebApplication App, HttpClient Client)>();
try
{
    Run("bash", script, "ca", root);
    var upgrade = Path.Combine(root, "noop.sh");
    File.WriteAllText(upgrade, "#!/bin/sh\necho \"upgrade $1\"\n");
    File.SetUnixFileMode(upgrade, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    for (var i = 1; i <= count; i++)
    {
        Run("bash", script, "node", root, $"node-{i}", "127.0.0.1");
    }

    var process = Process.GetCurrentProcess();
    var first = await StartAsync(1, []);
    nodes.Add(first);
    var seed = Cluster.Get(first.App.Services.GetRequiredService<ActorSystem>()).SelfAddress.ToString();
    var clock = Stopwatch.StartNew();
    nodes.AddRange(await Task.WhenAll(Enumerable.Range(2, count - 1).Select(i => StartAsync(i, [seed]))));
    var started = clock.Elapsed;
    var cluster = Cluster.Get(first.App.Services.GetRequiredService<ActorSystem>());
    await Until(() => Task.FromResult(cluster.State.Members.Count(m => m.Status == MemberStatus.Up) == count), TimeSpan.FromMinutes(3));
    var up = clock.Elapsed;
    await Until(async () => (await first.Client.GetFromJsonAsync<FleetHostView[]>(FleetPaths.Hosts, ContractJson.Options))!.Count(h => h.Name is not null && h.Reachable) == count, TimeSpan.FromMinutes(3));
    var named = clock.Elapsed;

    // Idle: what N nodes cost while nothing happens (heartbeats, gossip, DData gossip).
    await Task.Delay(TimeSpan.FromSeconds(5));
    GC.Collect();
    process.Refresh();
    var rss = process.WorkingSet64 / (1024.0 * 1024.0);
    var idleCpu0 = process.TotalProcessorTime;
    var idleWall = Stopwatch.StartNew();
    await Task.Delay(TimeSpan.FromSeconds(20));
    process.Refresh();
    var idleCores = (process.TotalProcessorTime - idleCpu0).TotalSeconds / idleWall.Elapsed.TotalSeconds;

    // A rolling dry run of no-op jobs: whatever is not job time is the fleet's.
    var cpu0 = process.TotalProcessorTime;
    var wall = Stopwatch.StartNew();
    using var response = await first.Client.PostAsJsonAsync(FleetPaths.Rollouts, new { dryRun = true, hosts = "all", batchSize = batch });
    response.EnsureSuccessStatusCode();
    var id = (await response.Content.ReadFromJsonAsync<RolloutAccepted>(ContractJson.Options))!.RolloutId;
    RolloutView rollout = null!;
    await Until(async () => (rollout = (await first.Client.GetFromJsonAsync<RolloutView>(FleetPaths.Rollout(id), ContractJson.Options))!).FinishedAt is not null, TimeSpan.FromMinutes(10));
    var rolloutWall = wall.Elapsed;
    process.Refresh();
    var rolloutCpu = (process.TotalProcessorTime - cpu0).TotalSeconds - (idleCores * rolloutWall.TotalSeconds);
    var jobTime = TimeSpan.Zero;
    foreach (var group in rollout.Hosts.GroupBy(h => h.Group))
    {
        var durations = new List<TimeSpan>();
        foreach (var host in group)
        {
            var node = nodes.Single(n => n.Name == host.Host);
            var job = (await node.Client.GetFromJsonAsync<JobSnapshot>($"/jobs/{host.JobId}", ContractJson.Options))!;
            durations.Add(job.FinishedAt!.Value - job.StartedAt!.Value);
        }

        jobTime += durations.Max();
    }

    var recordBytes = Encoding.UTF8.GetByteCount(await first.Client.GetStringAsync(FleetPaths.Rollout(id)));
    var overhead = (rollout.FinishedAt!.Value - rollout.CreatedAt - jobTime) / count;
    Console.WriteLine($"### Fleet scale: {count} in-process nodes, {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
    Console.WriteLine();
    Console.WriteLine($"- Load average before the rollout: {File.ReadAllText("/proc/loadavg").Trim()}");
    Console.WriteLine();
    Console.WriteLine("| measure | value |");
    Console.WriteLine("|---|---:|");
    Console.WriteLine($"| {count - 1} nodes started (daemons built and listening), after the first | {started.TotalSeconds:0.0} s |");
    Console.WriteLine($"| all {count} members Up, as the first node sees them | {up.TotalSeconds:0.0} s |");
    Console.WriteLine($"| all {count} named by the coordinator (GET /fleet/hosts) | {named.TotalSeconds:0.0} s |");
    Console.WriteLine($"| idle CPU of the {count} nodes (heartbeats, gossip) | {idleCores * 100:0.0} % of a core ({idleCores * 100 / count:0.00} % per node) |");
    Console.WriteLine($"| RSS of this process with {count} nodes | {rss:0} MiB ({rss / count:0.0} MiB per node, code shared) |");
    Console.WriteLine($"| rolling dry run of {count} no-op jobs, batches of {batch}: wall time | {rolloutWall.TotalSeconds:0.0} s |");
    Console.WriteLine($"| of which the longest job of each batch, summed | {jobTime.TotalSeconds:0.00} s |");
    Console.WriteLine($"| coordinator overhead per host (wall, outside job time) | {overhead.TotalMilliseconds:0} ms |");
    Console.WriteLine($"| CPU per host above idle (whole process: coordinator, agents, jobs, HTTP polling) | {rolloutCpu * 1000 / count:0} ms |");
    Console.WriteLine($"| rollout record as JSON | {recordBytes} bytes ({recordBytes / count} per host) |");
}
finally
{
    foreach (var node in Enumerable.Reverse(nodes))
    {
        await node.App.StopAsync();
        await node.App.DisposeAsync();
    }

    Directory.Delete(root, recursive: true);
}

async Task<(string Name, WebApplication App, HttpClient Client)> StartAsync(int i, string[] seeds)
{
    var name = $"node-{i}";
    var token = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
    var arguments = new List<string>
    {
        "--urls", "http://127.0.0.1:0", $"--API_TOKEN={token}",
        $"--Upgrade:ScriptPath={Path.Combine(root, "noop.sh")}", "--Upgrade:UseSudo=false",
        $"--Storage:Directory={Path.Combine(root, name)}",
        "--Fleet:Enabled=true", $"--Fleet:NodeName={name}", $"--Fleet:Controller={i == 1}",
        "--Fleet:Hostname=127.0.0.1", "--Fleet:BindHostname=127.0.0.1", "--Fleet:Port=0",
        $"--Fleet:Tls:CertificateFile={Path.Combine(root, name + ".crt")}",
        $"--Fleet:Tls:KeyFile={Path.Combine(root, name + ".key")}",
        $"--Fleet:Tls:CaFile={Path.Combine(root, "ca.crt")}",
        "--Logging:LogLevel:Default=Warning",
        // The daemons' logs go to stderr: stdout is the table.
        "--Logging:Console:LogToStandardErrorThreshold=Trace",
    };
    arguments.AddRange(seeds.Select((s, index) => $"--Fleet:Seeds:{index}={s}"));
    var app = DaemonApp.Build(DaemonApp.CreateBuilder([.. arguments]));
    await app.StartAsync();
    var client = new HttpClient { BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()), Timeout = TimeSpan.FromSeconds(60) };
    client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    return (name, app, client);
}

static async Task Until(Func<Task<bool>> condition, TimeSpan timeout)
{
    var deadline = DateTime.UtcNow + timeout;
    while (!await condition())
    {
        if (DateTime.UtcNow > deadline)
        {
            throw new TimeoutException("the fleet did not get there in time");
        }

        await Task.Delay(100);
    }
}

static void Run(string file, params string[] arguments)
{
    using var p = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true })!;
    p.StandardOutput.ReadToEnd();
    p.WaitForExit();
    if (p.ExitCode != 0)
    {
        throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited {p.ExitCode}");
    }
}
