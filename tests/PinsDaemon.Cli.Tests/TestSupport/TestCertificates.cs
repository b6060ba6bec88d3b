using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PinsDaemon.Cli.Tests.TestSupport;

/// <summary>Self-signed certificates for 127.0.0.1 as PEM files, and daemons serving HTTPS with them.</summary>
public sealed class TestCertificates : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("pins-cli-tls").FullName;

    /// <summary>Writes <c>NAME.crt</c> and <c>NAME.key</c>; returns their path without extension and the fingerprint as openssl prints it.</summary>
    public async Task<(string Path, string Fingerprint)> CreateAsync(string name)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var path = Path.Combine(_directory, name);
        await File.WriteAllTextAsync(path + ".crt", certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(path + ".key", key.ExportPkcs8PrivateKeyPem());
        var fingerprint = string.Join(':', Convert.ToHexString(SHA256.HashData(certificate.RawData)).Chunk(2).Select(pair => new string(pair)));
        return (path, fingerprint);
    }

    /// <summary>A daemon serving HTTPS on 127.0.0.1:<paramref name="port"/> with the certificate at <paramref name="certificate"/>.</summary>
    public static Task<DaemonFixture> StartDaemonAsync(string certificate, int port, string token, string? storage = null) =>
        DaemonFixture.StartWithStorageAsync(
            "channel-dry-run.sh",
            storage,
            token,
            "--urls", $"https://127.0.0.1:{port}",
            $"--Kestrel:Certificates:Default:Path={certificate}.crt",
            $"--Kestrel:Certificates:Default:KeyPath={certificate}.key");

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
