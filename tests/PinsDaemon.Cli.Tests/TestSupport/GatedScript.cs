namespace PinsDaemon.Cli.Tests.TestSupport;

/// <summary>
/// An upgrade script made for one test: it prints <c>before 1..N</c> (or runs the test's own
/// commands), then waits until the test opens its gate, then prints <c>after 1..M</c> (or runs
/// the rest). So a test knows the job is still running while it cuts connections or restarts
/// the daemon, without timing anything.
/// </summary>
public sealed class GatedScript : IDisposable
{
    private readonly string _gate;

    public GatedScript(int before, int after)
        : this(
            $"i=1; while [ $i -le {before} ]; do echo \"before $i\"; i=$((i + 1)); done",
            $"i=1; while [ $i -le {after} ]; do echo \"after $i\"; i=$((i + 1)); done")
    {
    }

    /// <summary>A script that runs <paramref name="beforeGate"/>, waits for the gate, then runs <paramref name="afterGate"/> (shell text).</summary>
    public GatedScript(string beforeGate, string afterGate)
    {
        var id = Guid.NewGuid().ToString("N");
        Name = Path.Combine("generated", $"gated-{id}.sh");
        var path = Path.Combine(AppContext.BaseDirectory, "scripts", Name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        _gate = Path.Combine(Path.GetTempPath(), $"pins-gate-{id}");
        File.WriteAllText(path, $$"""
            #!/bin/sh
            {{beforeGate}}
            n=0; while [ ! -e '{{_gate}}' ] && [ $n -lt 1200 ]; do sleep 0.05; n=$((n + 1)); done
            {{afterGate}}
            """);
    }

    /// <summary>The script's name under <c>scripts/</c>, for <see cref="DaemonFixture.StartAsync"/>.</summary>
    public string Name { get; }

    public void Open() => File.WriteAllText(_gate, string.Empty);

    public void Dispose()
    {
        File.Delete(_gate);
        File.Delete(Path.Combine(AppContext.BaseDirectory, "scripts", Name));
    }
}
