namespace PinsDaemon.Host.Configuration;

/// <summary>
/// The bearer token, from exactly one source: <c>API_TOKEN</c> (as the seed's unit sets it),
/// <c>Auth:Token</c>, or <c>Auth:TokenFile</c> (a file, for systemd credentials).
/// </summary>
public sealed class AuthOptions
{
    public const string SectionName = "Auth";

    /// <summary>
    /// 32 characters: 192 bits or more of a random token in base64 or hex, far beyond guessing
    /// through an HTTP API, and what the installer's 256-bit token comfortably exceeds.
    /// </summary>
    public const int MinTokenLength = 32;

    /// <summary>Longer than any sane token; keeps a token file that is really something else out.</summary>
    public const int MaxTokenLength = 4096;

    public string? Token { get; set; }

    public string? TokenFile { get; set; }
}
