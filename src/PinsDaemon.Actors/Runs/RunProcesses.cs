using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace PinsDaemon.Actors.Runs;

/// <summary>Runs a short helper (sudo, setsid, systemctl) to its end: no shell, an argument vector, a clean environment.</summary>
internal static class RunProcesses
{
    /// <summary>
    /// The whole environment a helper sees. The daemon's own environment may hold
    /// <c>API_TOKEN</c>; it must never reach the script (sudo resets the environment, but the
    /// development mode without sudo would not).
    /// </summary>
    public static readonly KeyValuePair<string, string>[] Environment =
    [
        new("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
        new("LANG", "C.UTF-8"),
        new("LC_ALL", "C.UTF-8"),
    ];

    /// <summary>What a helper prints is only for a message: the first 4 KiB of each stream are plenty.</summary>
    private const int MaxOutputChars = 4096;

    /// <summary>Every helper here finishes in well under a second; the launcher waits at most 30 s for another launcher.</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <returns>The exit code (127 when it could not be started, 124 on time-out) and what it printed.</returns>
    public static async Task<(int ExitCode, string Output)> RunAsync(string fileName, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = "/",
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.Environment.Clear();
        foreach (var (name, value) in Environment)
        {
            startInfo.Environment[name] = value;
        }

        using var process = new Process { StartInfo = startInfo };
        try
        {
            process.Start();
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException)
        {
            return (127, $"could not start '{fileName}': {ex.Message}");
        }

        process.StandardInput.Close();
        var stdout = ReadBoundedAsync(process.StandardOutput);
        var stderr = ReadBoundedAsync(process.StandardError);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return (124, $"'{fileName}' did not finish within {Timeout.TotalSeconds:0} s");
        }

        var output = ((await stdout.ConfigureAwait(false)) + (await stderr.ConfigureAwait(false))).Trim();
        return (process.ExitCode, output);
    }

    private static async Task<string> ReadBoundedAsync(StreamReader reader)
    {
        var text = new StringBuilder();
        var buffer = new char[1024];
        int read;
        while ((read = await reader.ReadAsync(buffer).ConfigureAwait(false)) > 0)
        {
            if (text.Length < MaxOutputChars)
            {
                text.Append(buffer, 0, Math.Min(read, MaxOutputChars - text.Length));
            }
        }

        return text.ToString();
    }

    /// <summary>True when the process exists, is not a zombie, and its command line has <paramref name="word"/> as one argument.</summary>
    public static bool IsAlive(int pid, string word)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The state follows the command name in parentheses, which may itself hold spaces.
            var state = stat.LastIndexOf(')') is var close and > 0 && close + 2 < stat.Length ? stat[close + 2] : 'X';
            if (state is 'Z' or 'X')
            {
                return false;
            }

            var arguments = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0');
            return arguments.Contains(word, StringComparer.Ordinal);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>A detached run's session: alive while the recorded pid is its wrapper or worker.</summary>
    public static RunLiveness Probe(int? pid, string run) =>
        pid is { } known && IsAlive(known, run) ? RunLiveness.Alive : RunLiveness.Gone;
}
