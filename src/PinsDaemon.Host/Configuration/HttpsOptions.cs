namespace PinsDaemon.Host.Configuration;

/// <summary>
/// The certificate of every <c>https://</c> listener (<c>Https:*</c>), as PEM files. The package's
/// unit points both at systemd credentials copied from <c>/etc/pinsdaemon/tls.crt</c> and
/// <c>tls.key</c>.
/// </summary>
public sealed class HttpsOptions
{
    public const string SectionName = "Https";

    /// <summary>The certificate, PEM; further certificates in the file are sent as its chain.</summary>
    public string? CertificateFile { get; set; }

    /// <summary>Its private key, PEM (PKCS#8, EC or RSA), unencrypted; must not be readable by other users.</summary>
    public string? KeyFile { get; set; }
}
