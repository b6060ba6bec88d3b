using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PinsDaemon.Host.Configuration;

/// <summary>The HTTPS certificate with its chain, loaded from <see cref="HttpsOptions"/>.</summary>
internal sealed record ServerCertificate(X509Certificate2 Certificate, X509Certificate2Collection Chain)
{
    /// <summary>
    /// SHA-256 of the certificate (DER), as colon-separated upper-case hex: what
    /// <c>openssl x509 -fingerprint -sha256</c> and <c>pinsdaemon-tls fingerprint</c> print, and
    /// what clients pin.
    /// </summary>
    public string Fingerprint =>
        string.Join(':', Convert.ToHexString(SHA256.HashData(Certificate.RawData)).Chunk(2).Select(pair => new string(pair)));

    /// <summary>The certificate, or why it cannot be used, naming the setting.</summary>
    public static (ServerCertificate? Certificate, string? Problem) Load(HttpsOptions options)
    {
        var certificateFile = options.CertificateFile;
        var keyFile = options.KeyFile;
        if (string.IsNullOrEmpty(certificateFile) || string.IsNullOrEmpty(keyFile))
        {
            return (null, "set both Https:CertificateFile and Https:KeyFile (PEM files), or neither.");
        }

        try
        {
            if (FileSecurity.IsReadableByOthers(keyFile))
            {
                return (null, $"Https:KeyFile '{keyFile}' is readable by every user on this machine. Restrict it: chmod 600 '{keyFile}'.");
            }

            var chain = new X509Certificate2Collection();
            chain.ImportFromPemFile(certificateFile);
            if (chain.Count == 0)
            {
                return (null, $"Https:CertificateFile '{certificateFile}' holds no PEM certificate.");
            }

            var certificate = X509Certificate2.CreateFromPemFile(certificateFile, keyFile);
            chain.RemoveAt(0);
            return (new ServerCertificate(certificate, chain), null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            return (null, $"Https:CertificateFile '{certificateFile}' and Https:KeyFile '{keyFile}' are not a usable certificate and private key: {ex.Message}");
        }
    }
}
