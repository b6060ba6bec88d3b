using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Event;
using Akka.Remote.Transport.DotNetty;

namespace PinsDaemon.Fleet.Security;

/// <summary>
/// This node's certificate and the fleet's CA, read once at start from PEM files, and the one
/// rule for peers: a peer is part of the fleet iff its certificate chains to that CA. Nothing
/// else is trusted: not the operating system's CAs, not an issuer name (anyone can mint a
/// certificate with any issuer name).
/// </summary>
public sealed class FleetCertificates
{
    private readonly X509Certificate2 _ca;
    private long _refused;

    private FleetCertificates(X509Certificate2 node, X509Certificate2 ca)
    {
        Node = node;
        _ca = ca;
    }

    /// <summary>This node's certificate, with its private key: presented as TLS server and client.</summary>
    public X509Certificate2 Node { get; }

    public string CaSubject => _ca.Subject;

    /// <summary>Handshakes refused since start (a stranger's certificate, or none).</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Loads the three PEM files; the message names the file and the setting when one is unusable.</summary>
    public static FleetCertificates Load(string certificateFile, string keyFile, string caFile)
    {
        X509Certificate2 ca;
        try
        {
            ca = X509CertificateLoader.LoadCertificateFromFile(caFile);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new FleetConfigurationException($"Fleet:Tls:CaFile '{caFile}' cannot be read as a certificate ({ex.Message}).", ex);
        }

        X509Certificate2 node;
        try
        {
            using var pem = X509Certificate2.CreateFromPemFile(certificateFile, keyFile);
            // SslStream on Linux wants a certificate whose key is not an ephemeral PEM import.
            node = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), password: null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new FleetConfigurationException(
                $"Fleet:Tls:CertificateFile '{certificateFile}' with Fleet:Tls:KeyFile '{keyFile}' cannot be loaded ({ex.Message}). " +
                "Both are PEM; the key unencrypted (PKCS#8 or the algorithm's own form). ops/fleet-certs.sh makes them.",
                ex);
        }

        var certificates = new FleetCertificates(node, ca);
        if (!certificates.IsFromFleetCa(node))
        {
            throw new FleetConfigurationException(
                $"Fleet:Tls:CertificateFile '{certificateFile}' is not signed by the CA in Fleet:Tls:CaFile '{caFile}': " +
                "other nodes would refuse this one.");
        }

        return certificates;
    }

    /// <summary>The validator Akka.Remote calls at every handshake, on both sides (mutual TLS).</summary>
    public CertificateValidationCallback Validator => Validate;

    private bool Validate(X509Certificate2? certificate, X509Chain? chain, string remotePeer, SslPolicyErrors errors, ILoggingAdapter log)
    {
        if (certificate is null)
        {
            Interlocked.Increment(ref _refused);
            log.Warning("Fleet TLS: refused {0}: it presented no certificate", remotePeer);
            return false;
        }

        if (IsFromFleetCa(certificate, out var problem))
        {
            return true;
        }

        Interlocked.Increment(ref _refused);
        log.Warning("Fleet TLS: refused {0}: its certificate '{1}' is not from the fleet's CA ({2})", remotePeer, certificate.Subject, problem);
        return false;
    }

    public bool IsFromFleetCa(X509Certificate2 certificate) => IsFromFleetCa(certificate, out _);

    private bool IsFromFleetCa(X509Certificate2 certificate, out string problem)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(_ca);
        // There is no revocation list for a private fleet CA: expelling a node means a new CA.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain.Build(certificate))
        {
            problem = string.Empty;
            return true;
        }

        problem = string.Join(", ", chain.ChainStatus.Select(status => status.Status.ToString()).Distinct());
        return false;
    }
}

/// <summary>A fleet setting cannot be used; the message names it.</summary>
public sealed class FleetConfigurationException : Exception
{
    public FleetConfigurationException(string message)
        : base(message)
    {
    }

    public FleetConfigurationException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
