namespace PinsDaemon.Cli.Api;

/// <summary>The daemon a command talks to, with its credentials.</summary>
/// <param name="Label">How messages name it: the host's name, or the URL when it came from <c>PINS_URL</c>.</param>
/// <param name="Name">The name given to <c>pins hosts add</c>; null for <c>PINS_URL</c>.</param>
internal sealed record HostTarget(string Label, string? Name, Uri BaseUrl, string Token, CertificateCheck Certificate);
