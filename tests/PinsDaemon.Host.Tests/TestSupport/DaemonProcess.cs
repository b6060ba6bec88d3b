using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace PinsDaemon.Host.Tests.TestSupport;

/// <summary>The daemon as a separate OS process, for tests that must kill it the hard way.</summary>
public sealed partial class DaemonProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output;
    private readonly Task _stdout;

    private DaemonProcess(Process process, Uri baseAddress, ConcurrentQueue<string> output, Task stdout)
    {
        _process = process;
        BaseAddress = baseAddress;
        _output = output;
        _stdout = stdout;
    }

    public Uri BaseAddress { get; }

    /// <summary>A client of this daemon that sends <paramref name="token"/>, as a program on the host would.</summary>
    public HttpClient Client(string token)
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>POST /upgrade for a dry run; the new job's id.</summary>
    public static async Task<string> StartDryRunAsync(HttpClient client)
    {
        using var response = await client.PostAsync("/upgrade", DaemonFixture.Json("{\"dryRun\": true}"));
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("jobId").GetString()!;
    }

    /// <summary>Everything the daemon wrote to stdout and stderr so far, line by line.</summary>
    public IReadOnlyCollection<string> Output => _output;

    /// <param name="environment">Extra environment variables, e.g. logging settings.</param>
    /// <param name="ownProcessGroup">Start it as the leader of a process group of its own
    /// (through setsid), so <see cref="KillGroup"/> can kill the group as systemd or Ctrl-C would.</param>
    public static async Task<DaemonProcess> StartAsync(string script, string storage, string token, IReadOnlyDictionary<string, string>? environment = null, bool ownProcessGroup = false)
    {
        var startInfo = new ProcessStartInfo(ownProcessGroup ? "setsid" : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (ownProcessGroup)
        {
            startInfo.ArgumentList.Add("dotnet");
        }

        foreach (var argument in (string[])
                 [
                     Path.Combine(AppContext.BaseDirectory, "pinsdaemon.dll"),
                     "--urls", "http://127.0.0.1:0",
                     $"--Upgrade:ScriptPath={DaemonFixture.ScriptPath(script)}",
                     "--Upgrade:UseSudo=false",
                     $"--Storage:Directory={storage}",
                 ])
        {
            startInfo.ArgumentList.Add(argument);
        }

        // The token through the environment, as the seed's unit does; never on the command line.
        startInfo.Environment["API_TOKEN"] = token;
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[name] = value;
        }

        var process = Process.Start(startInfo)!;
        var output = new ConcurrentQueue<string>();
        _ = CollectAsync(process.StandardError, output);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            output.Enqueue(line);
            var match = ListeningOn().Match(line);
            if (match.Success)
            {
                return new DaemonProcess(process, new Uri(match.Groups[1].Value), output, CollectAsync(process.StandardOutput, output));
            }
        }

        throw new InvalidOperationException($"the daemon exited with {process.ExitCode} before listening: {string.Join('\n', output)}");
    }

    /// <summary>Waits until the daemon has exited and all its stdout has been read.</summary>
    public async Task<bool> WaitForExitAndOutputAsync(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            return false;
        }

        await _stdout.WaitAsync(timeout);
        return true;
    }

    private static async Task CollectAsync(StreamReader reader, ConcurrentQueue<string> lines)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lines.Enqueue(line);
        }
    }

    /// <summary>SIGTERM, as systemd sends on stop.</summary>
    public void Terminate() => Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();

    public bool WaitForExit(TimeSpan timeout) => _process.WaitForExit(timeout);

    /// <summary>SIGKILL: no shutdown code runs, as in a crash or power loss of the process.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: false);
        _process.WaitForExit();
    }

    /// <summary>SIGKILL to the daemon's whole process group: a crash of everything the daemon started in it.</summary>
    public void KillGroup()
    {
        Process.Start("kill", ["-KILL", "--", $"-{_process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)}"])!.WaitForExit();
        _process.WaitForExit();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex ListeningOn();
}
