using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace PinsDaemon.Fleet.Tests.TestSupport;

/// <summary>A fleet node as its own OS process (<c>dotnet pinsdaemon.dll</c>), for what only processes can show: SIGKILL, SIGSTOP, exit codes.</summary>
public sealed partial class DaemonProcess : IDisposable
{
    private readonly ProcessStartInfo _start;
    private readonly OutputTail _tail;
    private Process _process;

    private DaemonProcess(string name, int fleetPort, ProcessStartInfo start, OutputTail tail, Process process, Uri baseAddress, string token)
    {
        _tail = tail;
        Name = name;
        FleetPort = fleetPort;
        _start = start;
        _process = process;
        BaseAddress = baseAddress;
        Client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        Token = token;
    }

    public string Name { get; }

    public int FleetPort { get; }

    public string Seed => $"127.0.0.1:{FleetPort}";

    public Uri BaseAddress { get; private set; }

    public HttpClient Client { get; private set; }

    public string Token { get; }

    public int Pid => _process.Id;

    /// <summary>A loopback port free right now (the kernel's choice, released at once).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static async Task<DaemonProcess> StartAsync(FleetCa ca, string name, bool controller, int fleetPort, IReadOnlyList<string> seeds, string root)
    {
        var (start, token) = Command(ca, name, controller, fleetPort, seeds, root);
        var tail = new OutputTail();
        var (process, address) = await LaunchAsync(start, tail);
        return new DaemonProcess(name, fleetPort, start, tail, process, address, token);
    }

    /// <summary>Runs a node that is expected not to start, until it exits: its exit code and every line it printed (stdout and stderr).</summary>
    public static async Task<(int ExitCode, IReadOnlyList<string> Lines)> RunUntilExitAsync(FleetCa ca, string name, string root, params string[] extraArgs)
    {
        var (start, _) = Command(ca, name, controller: true, FreePort(), [], root);
        foreach (var argument in extraArgs)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        async Task CollectAsync(StreamReader reader)
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                lines.Enqueue(line);
            }
        }

        var readers = Task.WhenAll(CollectAsync(process.StandardOutput), CollectAsync(process.StandardError));
        using var timeout = new CancellationTokenSource(TestFleet.Patience);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
            await readers.WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"the daemon did not exit within {TestFleet.Patience}; it printed:\n{string.Join('\n', lines)}");
        }

        return (process.ExitCode, [.. lines]);
    }

    /// <summary>The daemon's command line for a node (its token in the environment, as the unit passes it; never on the command line).</summary>
    private static (ProcessStartInfo Start, string Token) Command(FleetCa ca, string name, bool controller, int fleetPort, IReadOnlyList<string> seeds, string root)
    {
        var (certificate, key) = ca.Node(name);
        var script = Path.Combine(root, "upgrade.sh");
        Directory.CreateDirectory(root);
        File.WriteAllText(script, $"#!/bin/sh\necho \"{name}: upgrade $1\"\ni=1\nwhile [ $i -le 50 ]; do echo \"{name} line $i\"; i=$((i+1)); done\nsleep 0.2\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var token = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[]
                 {
                     Path.Combine(AppContext.BaseDirectory, "pinsdaemon.dll"),
                     "--urls", "http://127.0.0.1:0",
                     $"--Upgrade:ScriptPath={script}",
                     "--Upgrade:UseSudo=false",
                     $"--Storage:Directory={Path.Combine(root, "storage")}",
                     "--Fleet:Enabled=true",
                     $"--Fleet:NodeName={name}",
                     $"--Fleet:Controller={controller}",
                     "--Fleet:Hostname=127.0.0.1",
                     "--Fleet:BindHostname=127.0.0.1",
                     $"--Fleet:Port={fleetPort}",
                     $"--Fleet:Tls:CertificateFile={certificate}",
                     $"--Fleet:Tls:KeyFile={key}",
                     $"--Fleet:Tls:CaFile={ca.CaFile}",
                     "--Fleet:AcceptableHeartbeatPause=00:00:03",
                     "--Fleet:StableAfter=00:00:03",
                 })
        {
            start.ArgumentList.Add(argument);
        }

        for (var i = 0; i < seeds.Count; i++)
        {
            start.ArgumentList.Add($"--Fleet:Seeds:{i}={seeds[i]}");
        }

        start.Environment["API_TOKEN"] = token;
        return (start, token);
    }

    /// <summary>Starts the daemon and waits until it listens; its output goes on into <paramref name="tail"/>.</summary>
    private static async Task<(Process, Uri)> LaunchAsync(ProcessStartInfo start, OutputTail tail)
    {
        var process = Process.Start(start)!;
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        async Task PumpAsync(StreamReader reader)
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                tail.Add(line);
                if (ListeningOn().Match(line) is { Success: true } match)
                {
                    listening.TrySetResult(new Uri(match.Groups[1].Value));
                }
            }
        }

        var pumps = Task.WhenAll(PumpAsync(process.StandardOutput), PumpAsync(process.StandardError));
        _ = pumps.ContinueWith(_ => listening.TrySetException(new InvalidOperationException($"the daemon exited before listening; it printed:\n{tail}")), TaskScheduler.Default);
        try
        {
            return (process, await listening.Task.WaitAsync(TestFleet.Patience));
        }
        catch
        {
            // Not listening: nothing else would stop it.
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            process.Dispose();
            throw;
        }
    }

    /// <summary>Starts the same command again (same disk, same ports), as systemd's Restart= does.</summary>
    public async Task RestartAsync()
    {
        _process.Dispose();
        (_process, var address) = await LaunchAsync(_start, _tail);
        BaseAddress = address;
        Client.Dispose();
        Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
        Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
    }

    public void Signal(string signal) =>
        Process.Start("kill", [$"-{signal}", _process.Id.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{Name} did not exit within {timeout}; its last output:\n{_tail}");
        }

        return _process.ExitCode;
    }

    public void Dispose()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex ListeningOn();

    /// <summary>The last lines a daemon printed (stdout and stderr), for the message of a test that fails.</summary>
    private sealed class OutputTail
    {
        /// <summary>Enough for the cluster's story of the last minute at Information level.</summary>
        private const int MaxLines = 200;

        private readonly Queue<string> _lines = new();

        public void Add(string line)
        {
            lock (_lines)
            {
                if (_lines.Count == MaxLines)
                {
                    _lines.Dequeue();
                }

                _lines.Enqueue(line);
            }
        }

        public override string ToString()
        {
            lock (_lines)
            {
                return string.Join('\n', _lines);
            }
        }
    }
}
