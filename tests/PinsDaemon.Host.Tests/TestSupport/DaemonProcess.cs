using System.Diagnostics;
using System.Text.RegularExpressions;

namespace PinsDaemon.Host.Tests.TestSupport;

/// <summary>The daemon as a separate OS process, for tests that must kill it the hard way.</summary>
public sealed partial class DaemonProcess : IDisposable
{
    private readonly Process _process;

    private DaemonProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    /// <param name="ownProcessGroup">Start it as the leader of a process group of its own
    /// (through setsid), so <see cref="KillGroup"/> can kill the group as systemd or Ctrl-C would.</param>
    public static async Task<DaemonProcess> StartAsync(string script, string storage, string token, bool ownProcessGroup = false, params string[] extraArgs)
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
                     .. extraArgs,
                 ])
        {
            startInfo.ArgumentList.Add(argument);
        }

        // The token through the environment, as the seed's unit does; never on the command line.
        startInfo.Environment["API_TOKEN"] = token;
        var process = Process.Start(startInfo)!;
        _ = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            var match = ListeningOn().Match(line);
            if (match.Success)
            {
                _ = process.StandardOutput.ReadToEndAsync();
                return new DaemonProcess(process, new Uri(match.Groups[1].Value));
            }
        }

        throw new InvalidOperationException($"the daemon exited with {process.ExitCode} before listening");
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
