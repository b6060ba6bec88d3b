using System.Security.Cryptography;
using System.Text;

namespace PinsDaemon.Actors.Notifications;

/// <summary>Standard Webhooks' signature: HMAC-SHA256 over <c>id.timestamp.body</c>, keyed with the secret's decoded bytes.</summary>
public static class WebhookSignature
{
    public const string SecretPrefix = "whsec_";

    /// <summary>The value of <c>webhook-signature</c>: <c>v1,</c> and the base64 MAC.</summary>
    public static string Sign(byte[] key, string id, long timestamp, string body) =>
        "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{id}.{timestamp}.{body}")));

    /// <summary>
    /// The key of a <c>whsec_</c> secret, or null with why not. Standard Webhooks' secrets are
    /// 24 to 64 random bytes, base64 after the prefix.
    /// </summary>
    public static byte[]? ParseSecret(string secret, out string? problem)
    {
        problem = null;
        if (!secret.StartsWith(SecretPrefix, StringComparison.Ordinal))
        {
            problem = $"does not start with '{SecretPrefix}'";
            return null;
        }

        byte[] key;
        try
        {
            key = Convert.FromBase64String(secret[SecretPrefix.Length..]);
        }
        catch (FormatException)
        {
            problem = $"is not base64 after '{SecretPrefix}'";
            return null;
        }

        if (key.Length is < 24 or > 64)
        {
            problem = $"decodes to {key.Length} bytes; a secret is 24 to 64 random bytes (e.g. echo whsec_$(head -c 32 /dev/urandom | base64))";
            return null;
        }

        return key;
    }
}
