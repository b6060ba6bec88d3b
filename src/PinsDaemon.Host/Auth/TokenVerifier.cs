using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using PinsDaemon.Host.Configuration;

namespace PinsDaemon.Host.Auth;

/// <summary>
/// Checks a presented token against the configured one in constant time. Both sides are hashed
/// first, so neither the comparison's duration nor an early length mismatch tells an attacker
/// anything about the token, not even its length. Only the hash is kept.
/// </summary>
public sealed class TokenVerifier
{
    private readonly byte[] _expectedHash;

    public TokenVerifier(IOptions<AuthOptions> options)
    {
        var loaded = TokenSource.Load(options.Value);
        if (loaded.Token is null)
        {
            // Validated at start already (AuthOptionsValidator); the same type if it ever is not.
            throw new OptionsValidationException(AuthOptions.SectionName, typeof(AuthOptions), [loaded.Problem!]);
        }

        _expectedHash = Hash(loaded.Token);
        Where = loaded.Where!;
    }

    /// <summary>Where the daemon's token is configured, e.g. "in the API_TOKEN setting".</summary>
    public string Where { get; }

    public bool Verify(string? presented)
    {
        if (presented is null || presented.Length > AuthOptions.MaxTokenLength)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(Hash(presented), _expectedHash);
    }

    /// <summary>
    /// A key for <paramref name="purpose"/> that only this token gives: what it protects (the
    /// page's sessions) stops being valid when the token is replaced.
    /// </summary>
    public byte[] DeriveKey(string purpose) => HMACSHA256.HashData(_expectedHash, Encoding.UTF8.GetBytes(purpose));

    private static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}
