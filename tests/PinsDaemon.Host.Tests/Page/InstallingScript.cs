namespace PinsDaemon.Host.Tests.Page;

/// <summary>
/// An upgrade that stops in the middle of dpkg's work until the test opens its gate: phases,
/// apt's progress and the package being configured are known, and cancelling is no longer
/// possible. So a test sees a running upgrade as a person would, for as long as it needs.
/// </summary>
public sealed class InstallingScript : IDisposable
{
    private readonly string _gate;
    private readonly string _path;

    public InstallingScript()
    {
        var id = Guid.NewGuid().ToString("N");
        Name = Path.Combine("generated", $"installing-{id}.sh");
        _path = Path.Combine(AppContext.BaseDirectory, "scripts", Name);
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        _gate = Path.Combine(Path.GetTempPath(), $"pins-gate-{id}");
        File.WriteAllText(_path, $$"""
            #!/bin/sh
            N=0123456789abcdef0123456789abcdef
            s() { echo "pinsdaemon-status $N $*"; }
            echo "pinsdaemon: channel $N"
            s "mode apply"
            s "phase update"
            echo "Hit:1 http://deb.debian.org/debian bookworm InRelease"
            echo "Get:2 http://deb.debian.org/debian-security bookworm-security InRelease [48.0 kB]"
            s "apt dlstatus:2:100.0000:Retrieving file 2 of 2"
            echo "Reading package lists..."
            s "phase download"
            echo "Get:1 http://deb.debian.org/debian-security bookworm-security/main arm64 openssl arm64 3.0.17-1~deb12u3 [1,430 kB]"
            echo "Get:2 http://deb.debian.org/debian-security bookworm-security/main arm64 libssl3 arm64 3.0.17-1~deb12u3 [1,807 kB]"
            s "apt dlstatus:2:100.0000:Retrieving file 2 of 2"
            s "phase install"
            echo "Preparing to unpack .../libssl3_3.0.17-1~deb12u3_arm64.deb ..."
            echo "Unpacking libssl3:arm64 (3.0.17-1~deb12u3) over (3.0.16-1~deb12u1) ..."
            echo "Preparing to unpack .../openssl_3.0.17-1~deb12u3_arm64.deb ..."
            echo "Unpacking openssl (3.0.17-1~deb12u3) over (3.0.16-1~deb12u1) ..."
            echo "Setting up libssl3:arm64 (3.0.17-1~deb12u3) ..."
            s "apt pmstatus:openssl:62.5000:Configuring openssl (arm64)"
            n=0; while [ ! -e '{{_gate}}' ] && [ $n -lt 1200 ]; do sleep 0.05; n=$((n + 1)); done
            echo "Setting up openssl (3.0.17-1~deb12u3) ..."
            s "apt pmstatus:openssl:100.0000:Installed openssl (arm64)"
            s "exit 0"
            """);
    }

    /// <summary>The script's name under <c>scripts/</c>, for <see cref="TestSupport.DaemonFixture.StartAsync"/>.</summary>
    public string Name { get; }

    public void Open() => File.WriteAllText(_gate, string.Empty);

    public void Dispose()
    {
        File.Delete(_gate);
        File.Delete(_path);
    }
}
