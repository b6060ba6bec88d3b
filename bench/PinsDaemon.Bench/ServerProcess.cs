using System.Diagnostics;

namespace PinsDaemon.Bench;

/// <summary>
/// A server under test, started as a unit would start it: a clean environment, stdin from
/// /dev/null, stdout and stderr appended to a log file (by a /bin/sh that execs the server, so
/// the pid is the server's own). Start-up is timed from just before the process is created.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private const int SigTerm = 15;

    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);

    private readonly Process _process;
    private readonly long _startedAt;

    private ServerProcess(string name, Process process, long startedAt, Uri baseAddress, string logPath)
    {
        Name = name;
        _process = process;
        _startedAt = startedAt;
        BaseAddress = baseAddress;
        LogPath = logPath;
    }

    /// <summary>Every server pid is appended here, so bench/run.sh can stop leftovers if the bench itself dies.</summary>
    public static string? PidFile { get; set; }

    public string Name { get; }

    public Uri BaseAddress { get; }

    public string LogPath { get; }

    public int Pid => _process.Id;

    public long RssKiB => ProcFs.RssKiB(Pid);

    public TimeSpan Cpu => ProcFs.CpuTime(Pid);

    public static ServerProcess Start(
        string name,
        string executable,
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string> environment,
        string logPath,
        Uri baseAddress,
        string? workingDirectory = null)
    {
        // The working directory is the content root (appsettings.json, and the directory the
        // host watches for configuration changes): the unit sets WorkingDirectory=/usr/lib/pinsdaemon,
        // the directory of the binary. From "/" the host would watch the whole file system.
        var startInfo = new ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.GetDirectoryName(executable) ?? "/",
        };
        startInfo.ArgumentList.Add("-c");
        startInfo.ArgumentList.Add("log=$1; shift; exec \"$@\" </dev/null >>\"$log\" 2>&1");
        startInfo.ArgumentList.Add("sh");
        startInfo.ArgumentList.Add(logPath);
        startInfo.ArgumentList.Add(executable);
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.Environment.Clear();
        foreach (var (key, value) in environment)
        {
            startInfo.Environment[key] = value;
        }

        var startedAt = Stopwatch.GetTimestamp();
        var process = Process.Start(startInfo) ?? throw new BenchException($"could not start {name}");
        if (PidFile is not null)
        {
            File.AppendAllText(PidFile, $"{process.Id}\n");
        }

        return new ServerProcess(name, process, startedAt, baseAddress, logPath);
    }

    /// <summary>
    /// Polls <paramref name="path"/> every millisecond or so on a new connection each time until
    /// it answers 200 with <paramref name="expectedBody"/>; returns the time since the process was created.
    /// </summary>
    public async Task<TimeSpan> WaitHealthyAsync(string path, string expectedBody, TimeSpan timeout)
    {
        using var http = new HttpClient(new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.Zero,
            ConnectTimeout = TimeSpan.FromSeconds(1),
        })
        {
            Timeout = TimeSpan.FromSeconds(5),
        };
        var uri = new Uri(BaseAddress, path);
        while (true)
        {
            try
            {
                using var response = await http.GetAsync(uri);
                if (response.IsSuccessStatusCode && (await response.Content.ReadAsStringAsync()).Trim() == expectedBody)
                {
                    return Stopwatch.GetElapsedTime(_startedAt);
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            if (_process.HasExited)
            {
                throw new BenchException($"{Name} exited with code {_process.ExitCode} during start-up; see {LogPath}");
            }

            if (Stopwatch.GetElapsedTime(_startedAt) > timeout)
            {
                throw new BenchException($"{Name} did not answer {uri} within {timeout.TotalSeconds:0} s; see {LogPath}");
            }

            await Task.Delay(1);
        }
    }

    /// <summary>SIGTERM, as systemd stops a unit; SIGKILL if it has not exited in time.</summary>
    /// <summary>Until the log says the socket listens (systemd-socket-activate's "Listening on"); connecting would start the daemon.</summary>
    public async Task WaitListeningAsync(TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (!File.Exists(LogPath) || !File.ReadAllText(LogPath).Contains("Listening on", StringComparison.Ordinal))
        {
            if (_process.HasExited || Stopwatch.GetTimestamp() > deadline)
            {
                throw new BenchException($"{Name} did not listen; see {LogPath}");
            }

            await Task.Delay(5);
        }
    }

    /// <summary>True once the process has exited on its own.</summary>
    public async Task<bool> WaitExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async Task StopAsync()
    {
        if (_process.HasExited)
        {
            return;
        }

        _ = ProcFs.kill(Pid, SigTerm);
        using var timeout = new CancellationTokenSource(StopTimeout);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine($"bench: {Name} did not stop within {StopTimeout.TotalSeconds:0} s of SIGTERM; killing it");
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        finally
        {
            _process.Dispose();
        }
    }
}
