using System.Diagnostics;

namespace PinsDaemon.Fleet.Tests.TestSupport;

/// <summary>A fleet CA and its node certificates, made by the repository's own <c>ops/fleet-certs.sh</c>.</summary>
public sealed class FleetCa : IDisposable
{
    private FleetCa(string directory)
    {
        Directory = directory;
    }

    public string Directory { get; }

    public string CaFile => Path.Combine(Directory, "ca.crt");

    public static FleetCa Create()
    {
        var directory = Path.Combine(Path.GetTempPath(), "pinsdaemon-fleet-tests", Guid.NewGuid().ToString("N"));
        var ca = new FleetCa(directory);
        Run("ca", directory);
        return ca;
    }

    /// <summary>Makes (once) the node's certificate and key; returns their paths.</summary>
    public (string Certificate, string Key) Node(string name)
    {
        var certificate = Path.Combine(Directory, $"{name}.crt");
        if (!File.Exists(certificate))
        {
            Run("node", Directory, name, "127.0.0.1");
        }

        return (certificate, Path.Combine(Directory, $"{name}.key"));
    }

    public static string Script => Path.Combine(AppContext.BaseDirectory, "ops", "fleet-certs.sh");

    public static string Run(params string[] arguments)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Script);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"fleet-certs.sh {string.Join(' ', arguments)} exited {process.ExitCode}: {error.Result}");
        }

        return output.Result;
    }

    public void Dispose()
    {
        if (System.IO.Directory.Exists(Directory))
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }
}
