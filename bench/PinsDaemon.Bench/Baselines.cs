using System.Buffers.Text;
using System.Diagnostics;

namespace PinsDaemon.Bench;

/// <summary>The baselines that are not servers: a plain pipe, and ssh.</summary>
internal static class Baselines
{
    /// <summary>What the daemon gives its script (RunProcesses.Environment): PATH, LANG and LC_ALL only.</summary>
    public static readonly IReadOnlyDictionary<string, string> ScriptEnvironment = new Dictionary<string, string>
    {
        ["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        ["LANG"] = "C.UTF-8",
        ["LC_ALL"] = "C.UTF-8",
    };

    /// <summary>The floor: <c>script | cat &gt; /dev/null</c>, from process creation to exit.</summary>
    public static async Task<TimeSpan> PipeToCatAsync(string script)
    {
        var startInfo = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, WorkingDirectory = "/" };
        startInfo.ArgumentList.Add("-c");
        startInfo.ArgumentList.Add("\"$0\" --dry-run | cat > /dev/null");
        startInfo.ArgumentList.Add(script);
        SetEnvironment(startInfo);
        var started = Stopwatch.GetTimestamp();
        using var process = Process.Start(startInfo) ?? throw new BenchException($"could not run {script}");
        await process.WaitForExitAsync();
        var elapsed = Stopwatch.GetElapsedTime(started);
        if (process.ExitCode != 0)
        {
            throw new BenchException($"{script} | cat exited with {process.ExitCode}");
        }

        return elapsed;
    }

    /// <summary>
    /// The latency floor: the timestamp script's stdout read straight from a pipe by this
    /// process; (printed, received) wall-clock ns for each line.
    /// </summary>
    public static async Task<List<(long PrintedNs, long ReceivedNs)>> PipeTimestampsAsync(string script)
    {
        var startInfo = new ProcessStartInfo(script) { UseShellExecute = false, RedirectStandardOutput = true, WorkingDirectory = "/" };
        startInfo.ArgumentList.Add("--dry-run");
        SetEnvironment(startInfo);
        using var process = Process.Start(startInfo) ?? throw new BenchException($"could not run {script}");
        var stream = process.StandardOutput.BaseStream;
        var samples = new List<(long, long)>();
        var buffer = new byte[4096];
        var filled = 0;
        while (true)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(filled));
            if (read == 0)
            {
                break;
            }

            var received = LogSocketClient.UnixNs();
            filled += read;
            var start = 0;
            int newline;
            while ((newline = Array.IndexOf(buffer, (byte)'\n', start, filled - start)) >= 0)
            {
                if (Utf8Parser.TryParse(buffer.AsSpan(start, newline - start), out long printed, out _))
                {
                    samples.Add((printed, received));
                }

                start = newline + 1;
            }

            Buffer.BlockCopy(buffer, start, buffer, 0, filled - start);
            filled -= start;
        }

        await process.WaitForExitAsync();
        return samples;
    }

    /// <summary>
    /// <c>ssh -o StrictHostKeyChecking=no ... script</c> against the harness's own sshd:
    /// from creating the ssh process to the script's first line on its stdout.
    /// </summary>
    public static async Task<TimeSpan> SshFirstLineAsync(int port, string key, string user, string script, string expectedLine)
    {
        var startInfo = new ProcessStartInfo("ssh")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[]
                 {
                     "-n", "-F", "/dev/null", "-i", key, "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes",
                     "-o", "LogLevel=ERROR", $"{user}@127.0.0.1", script, "--dry-run",
                 })
        {
            startInfo.ArgumentList.Add(argument);
        }

        var started = Stopwatch.GetTimestamp();
        using var process = Process.Start(startInfo) ?? throw new BenchException("could not run ssh");
        var stderr = process.StandardError.ReadToEndAsync();
        var first = await process.StandardOutput.ReadLineAsync();
        var elapsed = Stopwatch.GetElapsedTime(started);
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (first != expectedLine || process.ExitCode != 0)
        {
            throw new BenchException($"ssh to 127.0.0.1:{port} printed '{first}' and exited with {process.ExitCode}: {await stderr}");
        }

        return elapsed;
    }

    private static void SetEnvironment(ProcessStartInfo startInfo)
    {
        startInfo.Environment.Clear();
        foreach (var (key, value) in ScriptEnvironment)
        {
            startInfo.Environment[key] = value;
        }
    }
}
