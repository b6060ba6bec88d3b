using Microsoft.Extensions.Options;
using PinsDaemon.Fleet.Tests.TestSupport;
using PinsDaemon.Host;

namespace PinsDaemon.Fleet.Tests;

/// <summary>A fleet node that cannot be secured does not start, and says which setting to fix.</summary>
public sealed class FleetSettingsSpecs : IDisposable
{
    private readonly FleetCa _ca = FleetCa.Create();

    private static async Task<string> StartupFailureAsync(params string[] args)
    {
        var builder = DaemonApp.CreateBuilder(
        [
            "--urls", "http://127.0.0.1:0", "--API_TOKEN=0123456789abcdef0123456789abcdef0123", "--Upgrade:UseSudo=false",
            $"--Storage:Directory={Path.Combine(Path.GetTempPath(), "pinsdaemon-fleet-tests", Guid.NewGuid().ToString("N"))}",
            "--Fleet:Enabled=true", "--Fleet:BindHostname=127.0.0.1", "--Fleet:Port=0", .. args,
        ]);
        await using var app = DaemonApp.Build(builder);
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        return string.Join(" ", ex.Failures);
    }

    [Fact]
    public async Task Should_refuse_to_start_without_the_three_pem_files()
    {
        var message = await StartupFailureAsync();

        Assert.Contains("Fleet:Tls:CertificateFile is required", message);
        Assert.Contains("Fleet:Tls:KeyFile is required", message);
        Assert.Contains("Fleet:Tls:CaFile is required", message);
    }

    [Fact]
    public async Task Should_refuse_a_certificate_that_its_own_ca_file_did_not_sign()
    {
        using var other = FleetCa.Create();
        var (certificate, key) = other.Node("pi-1");

        var message = await StartupFailureAsync($"--Fleet:Tls:CertificateFile={certificate}", $"--Fleet:Tls:KeyFile={key}", $"--Fleet:Tls:CaFile={_ca.CaFile}");

        Assert.Contains("is not signed by the CA in Fleet:Tls:CaFile", message);
    }

    [Fact]
    public async Task Should_refuse_plain_tcp_seeds_and_unknown_split_brain_strategies()
    {
        var (certificate, key) = _ca.Node("pi-1");

        var message = await StartupFailureAsync(
            $"--Fleet:Tls:CertificateFile={certificate}", $"--Fleet:Tls:KeyFile={key}", $"--Fleet:Tls:CaFile={_ca.CaFile}",
            "--Fleet:Seeds:0=akka.tcp://pinsdaemon@10.0.0.1:2552", "--Fleet:SplitBrain=KeepReferee");

        Assert.Contains("Fleet:Seeds entry 'akka.tcp://pinsdaemon@10.0.0.1:2552'", message);
        Assert.Contains("Fleet:SplitBrain must be KeepMajority", message);
    }

    [Fact]
    public async Task Should_stop_with_one_line_and_78_when_the_agents_journal_is_corrupt()
    {
        var root = Path.Combine(_ca.Directory, "pi-1");
        var journal = Path.Combine(root, "storage", "fleet", "agent-journal.json");
        Directory.CreateDirectory(Path.GetDirectoryName(journal)!);
        await File.WriteAllTextAsync(journal, "{\"rolloutId\": ");

        var (exitCode, lines) = await DaemonProcess.RunUntilExitAsync(_ca, "pi-1", root);

        Assert.Equal(78, exitCode);
        var line = Assert.Single(lines);
        Assert.StartsWith($"pinsdaemon: configuration error: The fleet agent's journal {journal} is corrupt", line);
        Assert.Contains("Move it aside", line);
    }

    [Fact]
    public async Task Should_stop_with_one_line_and_78_when_the_fleet_data_directory_cannot_be_created()
    {
        var root = Path.Combine(_ca.Directory, "pi-1");
        var inTheWay = Path.Combine(_ca.Directory, "a-file");
        await File.WriteAllTextAsync(inTheWay, string.Empty);

        var (exitCode, lines) = await DaemonProcess.RunUntilExitAsync(_ca, "pi-1", root, $"--Fleet:DataDirectory={inTheWay}/fleet");

        Assert.Equal(78, exitCode);
        var line = Assert.Single(lines);
        Assert.StartsWith($"pinsdaemon: configuration error: Fleet:DataDirectory '{inTheWay}/fleet' cannot be created", line);
    }

    public void Dispose() => _ca.Dispose();
}
