using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;
using PinsDaemon.Actors.Jobs;
using PinsDaemon.Contracts;

namespace PinsDaemon.Actors.Processes;

/// <summary>
/// Starts the upgrade script as an OS process: no shell, an argument vector, stdin closed, a
/// clean environment, stdout and stderr pumped concurrently as bytes.
/// </summary>
public sealed class OsProcessLauncher : IProcessLauncher
{
    /// <summary>
    /// The whole environment the script sees. The daemon's own environment may hold
    /// <c>API_TOKEN</c>; it must never reach the script (sudo resets the environment, but the
    /// development mode without sudo would not).
    /// </summary>
    private static readonly KeyValuePair<string, string>[] ChildEnvironment =
    [
        new("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
        new("LANG", "C.UTF-8"),
        new("LC_ALL", "C.UTF-8"),
    ];

    public IUpgradeProcess Start(UpgradeCommand command, Func<IReadOnlyList<OutputLine>, ValueTask> onOutput)
    {
        var startInfo = new ProcessStartInfo(command.FileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = "/",
        };
        foreach (var argument in command.Arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.Environment.Clear();
        foreach (var (name, value) in ChildEnvironment)
        {
            startInfo.Environment[name] = value;
        }

        var process = new Process { StartInfo = startInfo };
        try
        {
            process.Start();
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException)
        {
            process.Dispose();
            throw new ProcessStartException($"could not start '{command.FileName}': {ex.Message}", ex);
        }

        // The script must never wait for input: it gets end-of-file at once.
        process.StandardInput.Close();
        return new OsUpgradeProcess(process, onOutput);
    }

    private sealed class OsUpgradeProcess : IUpgradeProcess
    {
        /// <summary>One pipe read at a time; 16 KiB keeps a burst of short lines in one batch.</summary>
        private const int ReadBufferBytes = 16 * 1024;

        private const int SigTerm = 15;

        private readonly Process _process;

        public OsUpgradeProcess(Process process, Func<IReadOnlyList<OutputLine>, ValueTask> onOutput)
        {
            _process = process;
            var stdout = Task.Run(() => PumpAsync(process.StandardOutput.BaseStream, LogStream.Stdout, onOutput));
            var stderr = Task.Run(() => PumpAsync(process.StandardError.BaseStream, LogStream.Stderr, onOutput));
            Completion = CompleteAsync(process, stdout, stderr);
        }

        public Task<int> Completion { get; }

        public void Terminate()
        {
            try
            {
                if (!_process.HasExited)
                {
                    // A failure here is ESRCH (it exited meanwhile): nothing left to stop.
                    _ = kill(_process.Id, SigTerm);
                }
            }
            catch (InvalidOperationException)
            {
                // Never started or already reaped: nothing to stop.
            }
        }

        public void Dispose() => _process.Dispose();

        /// <summary>
        /// After the script exits, how long its pipes may stay open: a child it left behind (a
        /// service a maintainer script started, say) can hold them open for ever.
        /// </summary>
        private static readonly TimeSpan PipeDrainGrace = TimeSpan.FromSeconds(5);

        private static async Task<int> CompleteAsync(Process process, Task stdout, Task stderr)
        {
            await process.WaitForExitAsync().ConfigureAwait(false);
            // Every line the script wrote is in the pipes: read them to the end, but do not wait
            // on a straggler that inherited them.
            var drained = Task.WhenAll(stdout, stderr);
            if (await Task.WhenAny(drained, Task.Delay(PipeDrainGrace)).ConfigureAwait(false) != drained)
            {
                process.StandardOutput.BaseStream.Dispose();
                process.StandardError.BaseStream.Dispose();
                await Task.WhenAny(drained, Task.Delay(PipeDrainGrace)).ConfigureAwait(false);
            }

            return process.ExitCode;
        }

        private static async Task PumpAsync(Stream pipe, LogStream stream, Func<IReadOnlyList<OutputLine>, ValueTask> onOutput)
        {
            var splitter = new LineSplitter(stream);
            var buffer = new byte[ReadBufferBytes];
            while (true)
            {
                int read;
                try
                {
                    read = await pipe.ReadAsync(buffer).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or ObjectDisposedException)
                {
                    read = 0;
                }

                var lines = new List<OutputLine>();
                if (read == 0)
                {
                    splitter.Flush(lines);
                    if (lines.Count > 0)
                    {
                        await onOutput(lines).ConfigureAwait(false);
                    }

                    return;
                }

                splitter.Append(buffer.AsSpan(0, read), lines);
                if (lines.Count > 0)
                {
                    await onOutput(lines).ConfigureAwait(false);
                }
            }
        }

        [DllImport("libc", SetLastError = true)]
        private static extern int kill(int pid, int sig);
    }
}

/// <summary>The script could not be started at all (missing, not executable, ...).</summary>
public sealed class ProcessStartException(string message, Exception inner) : Exception(message, inner);
