using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Akka.Actor;
using Akka.Cluster;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using PinsDaemon.Contracts;
using PinsDaemon.Host;

namespace PinsDaemon.Fleet.Tests.TestSupport;

/// <summary>
/// One real daemon with <c>Fleet:Enabled=true</c>, built as Program.cs builds it, on loopback: its
/// own HTTP port, fleet port, storage, certificate and upgrade script. The script's behaviour is
/// steered by files in <see cref="ControlDirectory"/> (<see cref="Hold"/>, <see cref="Fail"/>), and it
/// records each run there, so a test can count runs without trusting the daemon.
/// </summary>
public sealed class FleetNode : IAsyncDisposable
{
    private bool _stopped;

    /// <summary>False for a node whose disk outlives it (a reboot): its successor deletes the directory.</summary>
    public bool DeleteRootOnDispose { get; set; } = true;

    private FleetNode(string name, WebApplication app, Uri baseAddress, string token, string root)
    {
        Name = name;
        App = app;
        BaseAddress = baseAddress;
        Root = root;
        Client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        Token = token;
        System = app.Services.GetRequiredService<ActorSystem>();
    }

    public string Name { get; }

    public WebApplication App { get; }

    public Uri BaseAddress { get; }

    public string Token { get; }

    public HttpClient Client { get; }

    public ActorSystem System { get; }

    public Cluster Cluster => Cluster.Get(System);

    public Address Address => Cluster.SelfAddress;

    public string Root { get; }

    public string ControlDirectory => Path.Combine(Root, "control");

    public string StorageDirectory => Path.Combine(Root, "storage");

    /// <summary>While held, the node's script waits after its first lines.</summary>
    public void Hold(bool on) => Toggle("hold", on);

    /// <summary>The node's script, applying, says through the status channel that a reboot is required.</summary>
    public void RequireReboot(bool on) => Toggle("reboot", on);

    /// <summary>The node's dry runs find one security update (zip) to install.</summary>
    public void OfferUpdate(bool on) => Toggle("update", on);

    /// <summary>The node's script exits 3 (a failed upgrade).</summary>
    public void Fail(bool on) => Toggle("fail", on);

    /// <summary>How many times the script ran on this node.</summary>
    public int Runs => File.Exists(Path.Combine(ControlDirectory, "runs")) ? File.ReadAllLines(Path.Combine(ControlDirectory, "runs")).Length : 0;

    /// <summary>The arguments of each run of the script on this node, one run a line.</summary>
    public IReadOnlyList<string> Arguments => File.Exists(Path.Combine(ControlDirectory, "arguments")) ? File.ReadAllLines(Path.Combine(ControlDirectory, "arguments")) : [];

    /// <summary>Whether the script is running now, past its first lines.</summary>
    public bool IsRunning => File.Exists(Path.Combine(ControlDirectory, "running"));

    private void Toggle(string file, bool on)
    {
        var path = Path.Combine(ControlDirectory, file);
        if (on)
        {
            File.WriteAllText(path, string.Empty);
        }
        else
        {
            File.Delete(path);
        }
    }

    public static async Task<FleetNode> StartAsync(
        FleetCa ca,
        string name,
        bool controller,
        IReadOnlyList<string> seeds,
        Action<IServiceCollection>? services = null,
        string? root = null,
        params string[] extraArgs)
    {
        root ??= Path.Combine(Path.GetTempPath(), "pinsdaemon-fleet-tests", Guid.NewGuid().ToString("N"));
        var (app, token) = Build(ca, name, controller, seeds, root, services, extraArgs);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new FleetNode(name, app, new Uri(address), token, root);
    }

    /// <summary>The daemon of a node, built as Program.cs builds it, not started.</summary>
    public static (WebApplication App, string Token) Build(
        FleetCa ca,
        string name,
        bool controller,
        IReadOnlyList<string> seeds,
        string root,
        Action<IServiceCollection>? services = null,
        params string[] extraArgs)
    {
        var control = Path.Combine(root, "control");
        Directory.CreateDirectory(control);
        var script = Path.Combine(root, "upgrade.sh");
        File.WriteAllText(script, Script(name, control));
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var (certificate, key) = ca.Node(name);
        var token = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
        var args = new List<string>
        {
            "--urls", "http://127.0.0.1:0",
            $"--API_TOKEN={token}",
            $"--Upgrade:ScriptPath={script}",
            "--Upgrade:UseSudo=false",
            $"--Storage:Directory={Path.Combine(root, "storage")}",
            "--Fleet:Enabled=true",
            $"--Fleet:NodeName={name}",
            $"--Fleet:Controller={controller}",
            "--Fleet:Hostname=127.0.0.1",
            "--Fleet:BindHostname=127.0.0.1",
            "--Fleet:Port=0",
            $"--Fleet:Tls:CertificateFile={certificate}",
            $"--Fleet:Tls:KeyFile={key}",
            $"--Fleet:Tls:CaFile={ca.CaFile}",
            // Bounded tests: a lost node is unreachable after ~3 s and downed ~3 s later.
            "--Fleet:AcceptableHeartbeatPause=00:00:03",
            "--Fleet:StableAfter=00:00:03",
            // FLEET_TEST_LOG_LEVEL=Information shows the cluster's own story when a test fails.
            $"--Logging:LogLevel:Default={Environment.GetEnvironmentVariable("FLEET_TEST_LOG_LEVEL") ?? "Warning"}",
        };
        args.AddRange(extraArgs);
        for (var i = 0; i < seeds.Count; i++)
        {
            args.Add($"--Fleet:Seeds:{i}={seeds[i]}");
        }

        var builder = DaemonApp.CreateBuilder([.. args]);
        services?.Invoke(builder.Services);
        return (DaemonApp.Build(builder), token);
    }

    private static string Script(string name, string control) =>
        $$"""
        #!/bin/sh
        D='{{control}}'
        N=0123456789abcdef0123456789abcdef
        if [ -f "$D/reboot" ] || [ -f "$D/update" ]; then echo "pinsdaemon: channel $N"; fi
        echo "$1" >> "$D/runs"
        echo "$*" >> "$D/arguments"
        echo "{{name}}: upgrade $1"
        echo "{{name}}: a warning on stderr" >&2
        i=1
        while [ $i -le 20 ]; do echo "{{name}} line $i"; i=$((i+1)); done
        touch "$D/running"
        while [ -f "$D/hold" ]; do sleep 0.05; done
        rm -f "$D/running"
        if [ -f "$D/fail" ]; then echo "{{name}}: failing on purpose" >&2; exit 3; fi
        if [ -f "$D/update" ] && [ "$1" = --dry-run ]; then
          echo "Inst zip [3.0-13] (3.0-13+deb12u1 Debian-Security:12/oldstable-security [amd64])"
        fi
        echo "{{name}}: done"
        if [ -f "$D/reboot" ] && [ "$1" = --apply ]; then
          echo "pinsdaemon-status $N reboot-required linux-image-amd64"
          echo "pinsdaemon-status $N exit 0"
        fi
        """;

    public async Task<JsonElement> GetJsonAsync(string path) => await Client.GetFromJsonAsync<JsonElement>(path);

    public async Task<HttpResponseMessage> PostJsonAsync(string path, string body) =>
        await Client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));

    /// <summary>Every job this daemon ran, from its own API.</summary>
    public async Task<IReadOnlyList<JobSnapshot>> JobsAsync() =>
        (await Client.GetFromJsonAsync<JobSnapshot[]>("/jobs", ContractJson.Options))!;

    /// <summary>Graceful: the node leaves the fleet, then stops.</summary>
    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await App.StopAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await StopAsync();
        await App.DisposeAsync();
        // A node downed in-process sets the exit code for the whole test process.
        Environment.ExitCode = 0;
        if (DeleteRootOnDispose && Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
    }
}
