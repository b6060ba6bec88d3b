using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using PinsDaemon.Host.Configuration;

namespace PinsDaemon.Host.Metrics;

/// <summary>
/// The metrics token from <c>Metrics:TokenFile</c>, read once (the settings were validated at
/// start). Compared in constant time on SHA-256 hashes, like the admin token; only the hash is kept.
/// </summary>
internal sealed class MetricsToken
{
    private readonly byte[]? _expectedHash;

    public MetricsToken(IOptions<MetricsOptions> options)
    {
        if (!string.IsNullOrEmpty(options.Value.TokenFile)
            && TokenSource.LoadFile(options.Value.TokenFile, "Metrics:TokenFile").Token is { } token)
        {
            _expectedHash = Hash(token);
        }
    }

    /// <summary>False when <c>Metrics:TokenFile</c> is not set: nobody may read the metrics.</summary>
    public bool IsConfigured => _expectedHash is not null;

    public bool Verify(string presented) =>
        _expectedHash is not null
        && presented.Length <= AuthOptions.MaxTokenLength
        && CryptographicOperations.FixedTimeEquals(Hash(presented), _expectedHash);

    private static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}
