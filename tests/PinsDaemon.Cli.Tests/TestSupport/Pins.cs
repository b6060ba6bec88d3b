using System.Diagnostics;
using System.Text;

namespace PinsDaemon.Cli.Tests.TestSupport;

/// <summary>
/// One user of pins: their own config directory (XDG_CONFIG_HOME), environment and secrets.
/// Every run of the real <c>pins</c> executable checks that no secret reached its output or
/// its command line.
/// </summary>
public sealed class Pins : IDisposable
{
    /// <summary>A run that takes longer than this has hung; the machine is loaded, so it is generous.</summary>
    public static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(90);

    private readonly List<string> _secrets = [];

    public Pins()
    {
        Home = Directory.CreateTempSubdirectory("pins-cli-test").FullName;
    }

    /// <summary>The user's home; also XDG_CONFIG_HOME's parent.</summary>
    public string Home { get; }

    public string ConfigHome => Path.Combine(Home, "config");

    public string HostsFile => Path.Combine(ConfigHome, "pins", "hosts.json");

    public Dictionary<string, string> Environment { get; } = new();

    public static string Executable => Path.Combine(AppContext.BaseDirectory, "pins");

    /// <summary>Text that must never appear in any output or argument of pins.</summary>
    public void Secret(string secret) => _secrets.Add(secret);

    /// <summary>PINS_URL and PINS_TOKEN for <paramref name="daemon"/>.</summary>
    public Pins For(DaemonFixture daemon) => For(daemon.BaseAddress, daemon.Token);

    /// <summary>PINS_URL and PINS_TOKEN for the daemon at <paramref name="baseAddress"/> (a fleet node, say).</summary>
    public Pins For(Uri baseAddress, string token)
    {
        Environment["PINS_URL"] = baseAddress.ToString();
        Environment["PINS_TOKEN"] = token;
        Secret(token);
        return this;
    }

    public Task<PinsResult> RunAsync(params string[] args) => RunWithStdinAsync(null, args);

    public async Task<PinsResult> RunWithStdinAsync(string? stdin, params string[] args)
    {
        using var run = Start(stdin, args);
        return await run.WaitAsync();
    }

    public PinsRun Start(string? stdin, params string[] args) => StartProcess(Executable, args, stdin);

    /// <summary>
    /// Runs pins with a pseudo-terminal as its stdin, stdout and stderr (util-linux script), as
    /// a person at a terminal would: each answer is typed once its prompt is on the screen
    /// (typed earlier, the terminal would echo it before pins could turn echo off).
    /// </summary>
    public async Task<PinsResult> RunOnTerminalAsync(string[] args, params (string Prompt, string Typed)[] answers)
    {
        using var run = StartOnTerminal(args);
        foreach (var (prompt, typed) in answers)
        {
            await run.WaitForStdoutAsync(prompt);
            await run.TypeAsync(typed);
        }

        return await run.WaitAsync();
    }

    /// <summary>Starts pins on a pseudo-terminal (see <see cref="RunOnTerminalAsync"/>), for a test that acts on what it shows.</summary>
    public PinsRun StartOnTerminal(params string[] args)
    {
        var command = string.Join(' ', new[] { "stty cols 100;", Quote(Executable) }.Concat(args.Select(Quote)));
        return StartProcess("script", ["--quiet", "--return", "--command", command, "/dev/null"], stdin: null, closeStdin: false);
    }

    public void Dispose()
    {
        Directory.Delete(Home, recursive: true);
    }

    private PinsRun StartProcess(string file, string[] args, string? stdin, bool closeStdin = true)
    {
        var startInfo = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in args)
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var name in startInfo.Environment.Keys.Where(k => k.StartsWith("PINS_", StringComparison.Ordinal)).ToList())
        {
            startInfo.Environment.Remove(name);
        }

        startInfo.Environment["HOME"] = Home;
        startInfo.Environment["XDG_CONFIG_HOME"] = ConfigHome;
        startInfo.Environment["TERM"] = "xterm-256color";
        foreach (var (name, value) in Environment)
        {
            startInfo.Environment[name] = value;
        }

        foreach (var secret in _secrets)
        {
            Assert.DoesNotContain(startInfo.ArgumentList, argument => argument.Contains(secret, StringComparison.Ordinal));
        }

        return new PinsRun(Process.Start(startInfo)!, stdin, closeStdin, _secrets.ToArray());
    }

    private static string Quote(string argument) => $"'{argument.Replace("'", "'\\''", StringComparison.Ordinal)}'";
}

/// <summary>A pins process still running: its output so far, and its end. Disposing it kills a pins that is still running, so a failed test leaves nothing behind.</summary>
public sealed class PinsRun : IDisposable
{
    private readonly Process _process;
    private readonly string[] _secrets;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly Task _pumps;

    internal PinsRun(Process process, string? stdin, bool closeStdin, string[] secrets)
    {
        _process = process;
        _secrets = secrets;
        _pumps = Task.WhenAll(PumpAsync(process.StandardOutput, _stdout), PumpAsync(process.StandardError, _stderr), FeedAsync(process.StandardInput, stdin, closeStdin));
    }

    public async Task TypeAsync(string text)
    {
        await _process.StandardInput.WriteAsync(text);
        await _process.StandardInput.FlushAsync();
    }

    public string StdoutSoFar
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    public string StderrSoFar
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Waits until stdout holds at least <paramref name="count"/> complete lines.</summary>
    public Task WaitForLinesAsync(int count) =>
        Eventually.WaitUntilAsync(() => Task.FromResult(StdoutSoFar.Count(c => c == '\n') >= count || _process.HasExited));

    public Task WaitForStdoutAsync(string text) =>
        Eventually.WaitUntilAsync(() => Task.FromResult(StdoutSoFar.Contains(text, StringComparison.Ordinal) || _process.HasExited));

    public Task WaitForStderrAsync(string text) =>
        Eventually.WaitUntilAsync(() => Task.FromResult(StderrSoFar.Contains(text, StringComparison.Ordinal) || _process.HasExited));

    public async Task<PinsResult> WaitAsync()
    {
        using var timeout = new CancellationTokenSource(Pins.RunTimeout);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"pins did not exit within {Pins.RunTimeout}.\nstdout:\n{StdoutSoFar}\nstderr:\n{StderrSoFar}");
        }

        await _pumps;
        var result = new PinsResult(_process.ExitCode, StdoutSoFar, StderrSoFar);
        foreach (var secret in _secrets)
        {
            Assert.DoesNotContain(secret, result.Stdout, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, result.Stderr, StringComparison.Ordinal);
        }

        return result;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }

    private static async Task PumpAsync(StreamReader reader, StringBuilder into)
    {
        var buffer = new char[8192];
        int read;
        while ((read = await reader.ReadAsync(buffer)) > 0)
        {
            lock (into)
            {
                into.Append(buffer, 0, read);
            }
        }
    }

    private static async Task FeedAsync(StreamWriter stdin, string? text, bool close)
    {
        try
        {
            if (text is not null)
            {
                await stdin.WriteAsync(text);
            }

            if (close)
            {
                stdin.Close();
            }
        }
        catch (IOException)
        {
            // pins exited without reading its stdin: that is for the test to judge.
        }
    }
}

public sealed record PinsResult(int ExitCode, string Stdout, string Stderr)
{
    public string[] StdoutLines => Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}
