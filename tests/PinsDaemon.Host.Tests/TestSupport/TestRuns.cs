using System.Diagnostics;
using System.Text;

namespace PinsDaemon.Host.Tests.TestSupport;

/// <summary>The runs a daemon started without sudo (under <c>Storage:Directory/runs</c>), as a test sees them.</summary>
internal static class TestRuns
{
    public static string Directory(string storage) => Path.Combine(storage, "runs");

    /// <summary>The one run of a job: its name (<c>dry-run-ID</c> or <c>apply-ID</c>).</summary>
    public static string NameOf(string storage, string jobId) =>
        System.IO.Directory.EnumerateFiles(Directory(storage), $"*-{jobId}.out").Select(Path.GetFileNameWithoutExtension).Single()!;

    public static string FilePath(string storage, string jobId, string extension) => Path.Combine(Directory(storage), $"{NameOf(storage, jobId)}.{extension}");

    /// <summary>The pid in the run record, once the record is there.</summary>
    public static int? Pid(string storage, string jobId)
    {
        var record = FilePath(storage, jobId, "run");
        if (!File.Exists(record))
        {
            return null;
        }

        var pid = File.ReadAllText(record).Split(' ').FirstOrDefault(w => w.StartsWith("pid=", StringComparison.Ordinal));
        return pid is null ? null : int.Parse(pid[4..], System.Globalization.CultureInfo.InvariantCulture);
    }

    public static bool IsAlive(int pid) => File.Exists($"/proc/{pid}/stat") && !File.ReadAllText($"/proc/{pid}/stat").Split(") ")[1].StartsWith('Z');

    /// <summary>SIGKILL to a run's whole session (the wrapper leads its own process group).</summary>
    public static void Kill(int pid) => Process.Start("kill", ["-KILL", "--", $"-{pid}"])!.WaitForExit();

    /// <summary>Kills every run a test's daemon left behind, and waits until they are gone.</summary>
    public static void KillAll(string storage)
    {
        if (!System.IO.Directory.Exists(Directory(storage)))
        {
            return;
        }

        var deadline = DateTime.UtcNow.AddSeconds(10);
        foreach (var output in System.IO.Directory.EnumerateFiles(Directory(storage), "*.out"))
        {
            var record = Path.ChangeExtension(output, "run");
            // A run started a moment ago may not have written its record yet.
            while (!File.Exists(record) && !File.Exists(Path.ChangeExtension(output, "exit")) && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(10);
            }

            var pid = File.Exists(record) ? File.ReadAllText(record).Split(' ').FirstOrDefault(w => w.StartsWith("pid=", StringComparison.Ordinal)) : null;
            if (pid is null || !int.TryParse(pid[4..], out var number))
            {
                continue;
            }

            Kill(number);
            while (IsAlive(number) && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(10);
            }
        }
    }

    /// <summary>
    /// Kills a test's runs and deletes its storage. Runs outlive the daemon by design; a test's
    /// must not outlive the test. A run whose launch was under way when the daemon stopped may
    /// still appear: kill and try again then.
    /// </summary>
    public static async Task DeleteStorageAsync(string storage)
    {
        for (var attempt = 1; ; attempt++)
        {
            KillAll(storage);
            try
            {
                if (System.IO.Directory.Exists(storage))
                {
                    System.IO.Directory.Delete(storage, recursive: true);
                }

                // A launch may still create the directory again a moment later.
                await Task.Delay(200);
                if (!System.IO.Directory.Exists(storage) || attempt >= 20)
                {
                    return;
                }
            }
            catch (IOException) when (attempt < 20)
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>
    /// Writes an executable script for one test into <paramref name="directory"/> (for example a
    /// script that waits for a file the test creates) and returns its path.
    /// </summary>
    public static string WriteScript(string directory, string name, string body)
    {
        System.IO.Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, name);
        File.WriteAllText(path, "#!/bin/bash\n" + body, new UTF8Encoding(false));
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}
