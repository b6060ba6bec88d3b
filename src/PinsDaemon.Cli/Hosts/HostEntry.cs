namespace PinsDaemon.Cli.Hosts;

/// <summary>
/// A daemon the user added with <c>pins hosts add</c>: where it is, its token, and for HTTPS
/// the SHA-256 fingerprint of the certificate it presented the first time (pinned as ssh pins
/// host keys).
/// </summary>
internal sealed record HostEntry(string Name, Uri Url, string Token, string? CertificateSha256);
