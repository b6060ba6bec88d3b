using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using PinsDaemon.Host.Configuration;
using PinsDaemon.Host.Tests.TestSupport;

namespace PinsDaemon.Host.Tests;

/// <summary>
/// The package's way to configure the daemon: an INI settings file (the conffile) and an HTTPS
/// listener whose certificate's fingerprint the daemon logs for clients to pin.
/// </summary>
public sealed class HttpsSpecs : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("pinsdaemon-https").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string[] BaseArgs() =>
        [$"--API_TOKEN={DaemonFixture.NewToken()}", "--Upgrade:UseSudo=false", $"--Storage:Directory={DaemonFixture.NewStorageDirectory()}"];

    /// <summary>A self-signed EC P-256 certificate like the package's, as PEM files (key 0600).</summary>
    private (string Cert, string Key, X509Certificate2 Certificate) WritePem(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=pinsdaemon-test", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var certPath = Path.Combine(_directory, name + ".crt");
        var keyPath = Path.Combine(_directory, name + ".key");
        File.WriteAllText(certPath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return (certPath, keyPath, certificate);
    }

    private string WriteSettings(string text)
    {
        var path = Path.Combine(_directory, "pinsdaemon.conf");
        File.WriteAllText(path, text);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        return path;
    }

    /// <summary>The messages Program.cs prints before exiting with 78: a check fails while the host is built or started.</summary>
    private static async Task<string> StartupFailureAsync(string[] args)
    {
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(async () =>
        {
            await using var app = DaemonFixture.Build(args);
            await app.StartAsync();
        });
        return string.Join(" ", ex.Failures);
    }

    [Fact]
    public async Task Should_serve_https_with_the_configured_certificate_and_log_its_fingerprint()
    {
        var (cert, key, certificate) = WritePem("tls");
        var settings = WriteSettings("urls = http://127.0.0.1:0;https://127.0.0.1:0\n");
        var logs = new CapturingLoggerProvider();
        await using var app = DaemonFixture.Build([.. BaseArgs(), $"--SettingsFile={settings}", $"--Https:CertificateFile={cert}", $"--Https:KeyFile={key}"], logs);
        await app.StartAsync();

        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        var https = new Uri(Assert.Single(addresses, a => a.StartsWith("https://", StringComparison.Ordinal)));
        Assert.Single(addresses, a => a.StartsWith("http://", StringComparison.Ordinal));

        var expected = Convert.ToHexString(SHA256.HashData(certificate.RawData));
        string? presentedFingerprint = null;
        using var handler = new HttpClientHandler
        {
            // Pinning, as a client does: accept exactly the fingerprint it was told.
            ServerCertificateCustomValidationCallback = (_, presented, _, _) =>
            {
                presentedFingerprint = Convert.ToHexString(SHA256.HashData(presented!.RawData));
                return presentedFingerprint == expected;
            },
        };
        using var client = new HttpClient(handler) { BaseAddress = https };
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        Assert.Equal(expected, presentedFingerprint);

        var colonHex = string.Join(':', expected.Chunk(2).Select(pair => new string(pair)));
        Assert.Contains(logs.Lines, line => line.Contains(https.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)) && line.Contains(colonHex));
        await app.StopAsync();
    }

    [Fact]
    public async Task Should_refuse_an_https_listener_without_a_certificate_naming_the_settings()
    {
        var message = await StartupFailureAsync([.. BaseArgs(), "--urls", "https://127.0.0.1:0"]);
        Assert.Contains("Https:CertificateFile", message);
        Assert.Contains("Https:KeyFile", message);
    }

    [Fact]
    public async Task Should_refuse_a_key_that_does_not_belong_to_the_certificate()
    {
        var (cert, _, _) = WritePem("one");
        var (_, otherKey, _) = WritePem("two");
        var message = await StartupFailureAsync([.. BaseArgs(), "--urls", "https://127.0.0.1:0", $"--Https:CertificateFile={cert}", $"--Https:KeyFile={otherKey}"]);
        Assert.Contains("Https:KeyFile", message);
        Assert.Contains(otherKey, message);
    }

    [Fact]
    public async Task Should_refuse_a_key_readable_by_every_user()
    {
        var (cert, key, _) = WritePem("tls");
        File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        var message = await StartupFailureAsync([.. BaseArgs(), "--urls", "https://127.0.0.1:0", $"--Https:CertificateFile={cert}", $"--Https:KeyFile={key}"]);
        Assert.Contains("readable by every user", message);
        Assert.Contains($"chmod 600 '{key}'", message);
    }

    [Fact]
    public async Task Should_take_settings_from_the_file_below_the_command_line()
    {
        var settings = WriteSettings(
            """
            # a comment, as the package's conffile has
            urls = http://127.0.0.1:0

            [Upgrade]
            Timeout = 00:42:00
            IdleWarning = 00:07:00
            """);
        await using var app = DaemonFixture.Build([.. BaseArgs(), $"--SettingsFile={settings}", "--Upgrade:IdleWarning=00:03:00"]);
        await app.StartAsync();
        var upgrade = app.Services.GetRequiredService<IOptions<UpgradeOptions>>().Value;
        Assert.Equal(TimeSpan.FromMinutes(42), upgrade.Timeout);
        Assert.Equal(TimeSpan.FromMinutes(3), upgrade.IdleWarning);
        await app.StopAsync();
    }

    [Fact]
    public async Task Should_name_the_settings_file_when_refusing_plain_http_on_a_network_address()
    {
        var settings = WriteSettings("urls = http://0.0.0.0:0\n");
        var message = await StartupFailureAsync([.. BaseArgs(), $"--SettingsFile={settings}"]);
        Assert.Contains("Network:AllowPlainHttpOnNetwork=true", message);
        Assert.Contains($"'AllowPlainHttpOnNetwork = true' under [Network] in {settings}", message);

        // The setting it names is the one that works.
        WriteSettings("urls = http://0.0.0.0:0\n[Network]\nAllowPlainHttpOnNetwork = true\n");
        await using var app = DaemonFixture.Build([.. BaseArgs(), $"--SettingsFile={settings}"]);
        await app.StartAsync();
        await app.StopAsync();
    }

    [Fact]
    public void Should_refuse_a_settings_file_that_other_users_can_change()
    {
        var settings = WriteSettings("urls = http://127.0.0.1:0\n");
        File.SetUnixFileMode(settings, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite);
        var ex = Assert.Throws<SettingsFileException>(() => DaemonFixture.Build([.. BaseArgs(), $"--SettingsFile={settings}"]));
        Assert.Contains(settings, ex.Message);
        Assert.Contains("chmod 644", ex.Message);
    }

    [Fact]
    public void Should_refuse_a_malformed_or_missing_settings_file_naming_it()
    {
        var settings = WriteSettings("[Upgrade]\nthis line has no equals sign\n");
        var ex = Assert.Throws<SettingsFileException>(() => DaemonFixture.Build([.. BaseArgs(), $"--SettingsFile={settings}"]));
        Assert.Contains(settings, ex.Message);

        var missing = Path.Combine(_directory, "missing.conf");
        ex = Assert.Throws<SettingsFileException>(() => DaemonFixture.Build([.. BaseArgs(), $"--SettingsFile={missing}"]));
        Assert.Contains(missing, ex.Message);
    }
}
