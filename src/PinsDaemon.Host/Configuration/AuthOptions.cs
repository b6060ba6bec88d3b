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

    /// <summary>
    /// True when <see cref="Token"/> came from <c>API_TOKEN</c> rather than <c>Auth:Token</c>, so
    /// that messages name the setting the operator actually used. Set in code, never bound.
    /// </summary>
    internal bool TokenFromEnvironmentKey { get; set; }

    /// <summary>Accept <c>?token=</c> on <c>/logs</c> (the seed's clients use it). Tickets work either way.</summary>
    public bool AllowQueryToken { get; set; } = true;

    /// <summary>
    /// Origins whose pages may open a log WebSocket (e.g. <c>https://dashboard.example</c>).
    /// Empty: any WebSocket request that carries an <c>Origin</c> header is refused.
    /// </summary>
    public string[] AllowedOrigins { get; set; } = [];

    /// <summary>Failed authentications one client address may make per <see cref="FailureWindowSeconds"/> before getting 429.</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 10_000, ErrorMessage = "Auth:MaxFailedAttempts must be between 1 and 10000.")]
    public int MaxFailedAttempts { get; set; } = 10;

    [System.ComponentModel.DataAnnotations.Range(1, 86_400, ErrorMessage = "Auth:FailureWindowSeconds must be between 1 and 86400.")]
    public int FailureWindowSeconds { get; set; } = 60;
}
