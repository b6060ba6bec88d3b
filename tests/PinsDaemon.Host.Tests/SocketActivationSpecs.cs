using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using PinsDaemon.Host.Tests.TestSupport;

namespace PinsDaemon.Host.Tests;

/// <summary>
/// The daemon started by <c>systemd-socket-activate</c> (Debian's systemd package), which passes a
/// listening socket as systemd does (LISTEN_FDS) without PID 1 being systemd. It execs the daemon
/// at the first connection and, unlike systemd, does not start it again: the lab
/// (tests/system, scenario socket-activation) tests the restart and the client that connects
/// while the daemon exits.
/// </summary>
public sealed class SocketActivationSpecs
{
    /// <summary>Short, so a test waits seconds; long enough that a loaded machine's start-up does not race it.</summary>
    private const string IdleExitAfter = "00:00:02";

    [Fact]
    public async Task Should_start_at_the_first_connection_serve_it_and_exit_cleanly_once_idle()
    {
        using var daemon = await ActivatedDaemon.StartAsync("fake-upgrade.sh");

        using (var client = daemon.Client())
        {
            Assert.Equal("ok", await client.GetStringAsync("/healthz"));
        }

        Assert.True(await daemon.WaitForExitAsync(TimeSpan.FromSeconds(60)), "the daemon should exit once idle");
        Assert.Equal(0, daemon.ExitCode);
        Assert.Contains(daemon.Output, l => l.Contains("Daemon:IdleExitAfter"));
        Assert.Contains(daemon.Output, l => l.Contains($"Now listening on: http://127.0.0.1:{daemon.Port}"));
    }

    [Fact]
    public async Task Should_serve_the_connection_that_started_it_however_short_the_idle_time()
    {
        // 1 ms: shorter than any start-up, so the idle time must count from when the server listens.
        using var daemon = await ActivatedDaemon.StartAsync("fake-upgrade.sh", "--Daemon:IdleExitAfter=00:00:00.001");

        using (var client = daemon.Client())
        {
            Assert.Equal("ok", await client.GetStringAsync("/healthz"));
        }

        Assert.True(await daemon.WaitForExitAsync(TimeSpan.FromSeconds(60)), "the daemon should exit once idle");
        Assert.Equal(0, daemon.ExitCode);
    }

    [Fact]
    public async Task Should_stay_up_while_a_client_holds_a_connection_and_exit_once_it_leaves()
    {
        using var daemon = await ActivatedDaemon.StartAsync("fake-upgrade.sh", "--Network:RequestTimeoutSeconds=300");
        using (var held = new TcpClient())
        {
            await held.ConnectAsync(IPAddress.Loopback, daemon.Port);
            using (var client = daemon.Client())
            {
                Assert.Equal("ok", await client.GetStringAsync("/healthz"));
            }

            // Three idle periods with nothing but the held connection: the daemon must still answer.
            await daemon.AssertStaysUpAsync(TimeSpan.FromSeconds(6));
        }

        Assert.True(await daemon.WaitForExitAsync(TimeSpan.FromSeconds(60)), "the daemon should exit once the client left");
        Assert.Equal(0, daemon.ExitCode);
    }

    [Fact]
    public async Task Should_stay_up_while_a_job_runs_and_give_the_run_no_listening_socket()
    {
        var script = Path.Combine(Path.GetTempPath(), $"pins-held-{Guid.NewGuid():N}.sh");
        File.Copy(DaemonFixture.ScriptPath("held-open.sh"), script);
        try
        {
            using var daemon = await ActivatedDaemon.StartAsync(script);
            using (var client = daemon.Client())
            {
                using var response = await client.PostAsync("/upgrade", DaemonFixture.Json("{\"dryRun\": true}"));
                response.EnsureSuccessStatusCode();
                var jobId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("jobId").GetString();
                string log = string.Empty;
                await Eventually.WaitUntilAsync(async () => (log = await client.GetStringAsync($"/jobs/{jobId}/log")).Contains("sockets listed"));
                Assert.DoesNotContain("inherited socket", log);
            }

            await daemon.AssertStaysUpAsync(TimeSpan.FromSeconds(6));
            await File.WriteAllTextAsync(script + ".release", string.Empty);
            Assert.True(await daemon.WaitForExitAsync(TimeSpan.FromSeconds(60)), "the daemon should exit once the job ended");
            Assert.Equal(0, daemon.ExitCode);
        }
        finally
        {
            File.Delete(script);
            File.Delete(script + ".release");
        }
    }

    /// <summary>The daemon behind systemd-socket-activate on a free loopback port.</summary>
    private sealed class ActivatedDaemon : IDisposable
    {
        private readonly Process _process;
        private readonly ConcurrentQueue<string> _output = new();
        private readonly Task _readers;
        private readonly string _token = DaemonFixture.NewToken();

        private ActivatedDaemon(string script, string[] extraArgs)
        {
            Port = FreePort();
            var startInfo = new ProcessStartInfo("systemd-socket-activate") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in (string[])
                     [
                         "-l", $"127.0.0.1:{Port}",
                         // The token through the environment, as the seed's unit does; never on the command line.
                         "-E", "API_TOKEN",
                         "dotnet", Path.Combine(AppContext.BaseDirectory, "pinsdaemon.dll"),
                         $"--Upgrade:ScriptPath={(Path.IsPathRooted(script) ? script : DaemonFixture.ScriptPath(script))}",
                         "--Upgrade:UseSudo=false",
                         $"--Storage:Directory={DaemonFixture.NewStorageDirectory()}",
                         $"--Daemon:IdleExitAfter={IdleExitAfter}",
                         .. extraArgs,
                     ])
            {
                startInfo.ArgumentList.Add(argument);
            }

            startInfo.Environment["API_TOKEN"] = _token;
            _process = Process.Start(startInfo)
                ?? throw new InvalidOperationException("systemd-socket-activate could not be started (Debian: apt-get install systemd)");
            _readers = Task.WhenAll(CollectAsync(_process.StandardOutput), CollectAsync(_process.StandardError));
        }

        public int Port { get; }

        public IReadOnlyCollection<string> Output => _output;

        public int ExitCode => _process.ExitCode;

        /// <summary>Started once systemd-socket-activate listens; the daemon itself starts at the first connection.</summary>
        public static async Task<ActivatedDaemon> StartAsync(string script, params string[] extraArgs)
        {
            var daemon = new ActivatedDaemon(script, extraArgs);
            await Eventually.WaitUntilAsync(() => Task.FromResult(daemon._output.Any(l => l.StartsWith("Listening on", StringComparison.Ordinal)) || daemon._process.HasExited));
            Assert.False(daemon._process.HasExited, string.Join('\n', daemon._output));
            return daemon;
        }

        /// <summary>A client whose connections are not kept alive, so that only what a test holds stays open.</summary>
        public HttpClient Client()
        {
            var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Port}"), Timeout = TimeSpan.FromSeconds(60) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _token);
            client.DefaultRequestHeaders.ConnectionClose = true;
            return client;
        }

        /// <summary>
        /// Watches the process, without connecting (a connection is activity), for
        /// <paramref name="duration"/>: proving that it does not exit takes watching it a while.
        /// </summary>
        public async Task AssertStaysUpAsync(TimeSpan duration)
        {
            using var watch = new CancellationTokenSource(duration);
            try
            {
                await _process.WaitForExitAsync(watch.Token);
                Assert.Fail("the daemon exited while in use:\n" + string.Join('\n', _output));
            }
            catch (OperationCanceledException)
            {
                // Still running after the whole duration.
            }
        }

        public async Task<bool> WaitForExitAsync(TimeSpan timeout)
        {
            using var cancel = new CancellationTokenSource(timeout);
            try
            {
                await _process.WaitForExitAsync(cancel.Token);
                await _readers.WaitAsync(cancel.Token);
                return true;
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.Dispose();
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        private async Task CollectAsync(StreamReader reader)
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                _output.Enqueue(line);
            }
        }
    }
}
