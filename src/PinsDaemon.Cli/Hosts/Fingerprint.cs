using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PinsDaemon.Cli.Hosts;

/// <summary>
/// A certificate's SHA-256 fingerprint in the form <c>openssl x509 -noout -fingerprint -sha256</c>
/// prints (<c>AB:CD:…</c>), so a user can compare it with the host's own certificate file.
/// </summary>
internal static class Fingerprint
{
    public static string Of(X509Certificate certificate) =>
        string.Join(':', Convert.ToHexString(SHA256.HashData(certificate.GetRawCertData())).Chunk(2).Select(pair => new string(pair)));

    /// <summary>Reads a fingerprint as a user may paste it: hex, with or without colons, optionally after <c>sha256 Fingerprint=</c>.</summary>
    public static bool TryParse(string text, out string fingerprint)
    {
        var value = text.Trim();
        var equals = value.LastIndexOf('=');
        if (equals >= 0)
        {
            value = value[(equals + 1)..];
        }

        var hex = value.Replace(":", string.Empty, StringComparison.Ordinal);
        if (hex.Length != SHA256.HashSizeInBytes * 2 || !hex.All(char.IsAsciiHexDigit))
        {
            fingerprint = string.Empty;
            return false;
        }

        fingerprint = string.Join(':', hex.ToUpperInvariant().Chunk(2).Select(pair => new string(pair)));
        return true;
    }
}
