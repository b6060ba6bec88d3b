using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using PinsDaemon.Cli.Hosts;

namespace PinsDaemon.Cli.Api;

/// <summary>
/// How pins decides whether to trust a host's TLS certificate, and what it saw. Hosts added
/// with <c>pins hosts add</c> are trusted by the fingerprint pinned on first use (as ssh trusts
/// host keys), whoever signed the certificate; a host named by <c>PINS_URL</c> must present a
/// certificate this machine's CAs trust.
/// </summary>
internal sealed class CertificateCheck
{
    private readonly string? _pinned;
    private readonly bool _firstUse;

    private CertificateCheck(string? pinned, bool firstUse)
    {
        _pinned = pinned;
        _firstUse = firstUse;
    }

    /// <summary>Certificates chained to the system's CAs, for the right host name.</summary>
    public static CertificateCheck SystemTrust { get; } = new(null, firstUse: false);

    /// <summary>Exactly the certificate whose SHA-256 fingerprint is <paramref name="fingerprint"/>.</summary>
    public static CertificateCheck Pinned(string fingerprint) => new(fingerprint, firstUse: false);

    /// <summary><c>pins hosts add</c>: any certificate (it is recorded and pinned), or only <paramref name="expected"/> when the user gave one.</summary>
    public static CertificateCheck FirstUse(string? expected) => new(expected, firstUse: expected is null);

    /// <summary>The fingerprint of the certificate the host presented last.</summary>
    public string? Presented { get; private set; }

    /// <summary>Why the last certificate was refused, as a sentence; null when it was not.</summary>
    public string? Refusal { get; private set; }

    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            Refusal = "the host presented no certificate";
            return false;
        }

        Presented = Fingerprint.Of(certificate);
        if (_firstUse)
        {
            return true;
        }

        if (_pinned is null)
        {
            if (errors == SslPolicyErrors.None)
            {
                return true;
            }

            Refusal = $"its certificate is not trusted by this machine ({errors}). To trust it by its fingerprint instead, add the host with: pins hosts add NAME URL";
            return false;
        }

        if (string.Equals(Presented, _pinned, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        Refusal = $"its certificate has changed. Pinned: SHA-256 {_pinned}; presented now: SHA-256 {Presented}. " +
                  "Someone may be intercepting the connection, or the host got a new certificate.";
        return false;
    }
}
