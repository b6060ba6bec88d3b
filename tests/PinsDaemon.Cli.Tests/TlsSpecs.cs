namespace PinsDaemon.Cli.Tests;

/// <summary>
/// HTTPS hosts: the certificate's SHA-256 fingerprint is pinned when the host is added (as ssh
/// pins host keys) and a different certificate later is refused with exit 4.
/// </summary>
public sealed class TlsSpecs : IDisposable
{
    private readonly Pins _pins = new();
    private readonly TestCertificates _certificates = new();

    [Fact]
    public async Task Should_pin_the_certificate_on_first_use_and_refuse_a_changed_one()
    {
        var port = HostsSpecs.FreePort();
        var token = DaemonFixture.NewToken();
        var storage = DaemonFixture.NewStorageDirectory();
        var (firstCert, firstFingerprint) = await _certificates.CreateAsync("first");
        var (secondCert, secondFingerprint) = await _certificates.CreateAsync("second");
        _pins.Secret(token);
        try
        {
            await using (var daemon = await TestCertificates.StartDaemonAsync(firstCert, port, token, storage))
            {
                var added = await _pins.RunWithStdinAsync(token, "hosts", "add", "pi", daemon.BaseAddress.ToString());

                Assert.True(added.ExitCode == 0, added.ToString());
                Assert.Contains($"SHA-256 {firstFingerprint}", added.Stderr);
                Assert.Contains(firstFingerprint, await File.ReadAllTextAsync(_pins.HostsFile));
                Assert.Equal(0, (await _pins.RunAsync("jobs", "--host", "pi")).ExitCode);
                Assert.Contains(firstFingerprint, (await _pins.RunAsync("hosts", "list")).Stdout);
            }

            await using (var impostor = await TestCertificates.StartDaemonAsync(secondCert, port, token, storage))
            {
                var refused = await _pins.RunAsync("jobs", "--host", "pi");

                Assert.Equal(4, refused.ExitCode);
                Assert.Contains("certificate has changed", refused.Stderr);
                Assert.Contains(firstFingerprint, refused.Stderr);
                Assert.Contains(secondFingerprint, refused.Stderr);
                Assert.Equal(string.Empty, refused.Stdout);
            }
        }
        finally
        {
            Directory.Delete(storage, recursive: true);
        }
    }

    [Fact]
    public async Task Should_check_a_given_fingerprint_when_adding_and_the_system_trust_for_PINS_URL()
    {
        var (cert, fingerprint) = await _certificates.CreateAsync("only");
        var token = DaemonFixture.NewToken();
        _pins.Secret(token);
        await using var daemon = await TestCertificates.StartDaemonAsync(cert, HostsSpecs.FreePort(), token);
        var (_, otherFingerprint) = await _certificates.CreateAsync("other");

        var wrong = await _pins.RunWithStdinAsync(token, "hosts", "add", "pi", daemon.BaseAddress.ToString(), "--fingerprint", otherFingerprint);
        Assert.Equal(4, wrong.ExitCode);
        Assert.False(File.Exists(_pins.HostsFile));

        var right = await _pins.RunWithStdinAsync(token, "hosts", "add", "pi", daemon.BaseAddress.ToString(), "--fingerprint", fingerprint.Replace(":", string.Empty).ToLowerInvariant());
        Assert.Equal(0, right.ExitCode);

        _pins.Environment["PINS_URL"] = daemon.BaseAddress.ToString();
        _pins.Environment["PINS_TOKEN"] = token;
        var untrusted = await _pins.RunAsync("jobs");
        Assert.Equal(4, untrusted.ExitCode);
        Assert.Contains("not trusted", untrusted.Stderr);
    }

    public void Dispose()
    {
        _pins.Dispose();
        _certificates.Dispose();
    }
}
