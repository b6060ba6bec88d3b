using PinsDaemon.Cli.Api;
using PinsDaemon.Contracts;

namespace PinsDaemon.Cli.Hosts;

/// <summary>
/// Which daemon a command talks to: <c>--host NAME</c> from the hosts file; otherwise
/// <c>PINS_URL</c> with <c>PINS_TOKEN</c> or <c>PINS_TOKEN_FILE</c> (scripts, no file needed);
/// otherwise the only host in the file.
/// </summary>
internal static class HostSelection
{
    public const string UrlVariable = "PINS_URL";
    public const string TokenVariable = "PINS_TOKEN";
    public const string TokenFileVariable = "PINS_TOKEN_FILE";

    public static HostTarget Resolve(string? hostName)
    {
        if (hostName is not null)
        {
            var path = HostsFile.DefaultPath();
            var host = HostsFile.Load(path).FirstOrDefault(h => h.Name == hostName)
                ?? throw CliException.Usage($"No host named '{ControlCharacters.Neutralize(hostName)}' in {path}. pins hosts list shows the hosts added.");
            return FromEntry(host);
        }

        var url = Variable(UrlVariable);
        var token = Variable(TokenVariable);
        var tokenFile = Variable(TokenFileVariable);
        if (url is not null)
        {
            return FromEnvironment(url, token, tokenFile);
        }

        if (token is not null || tokenFile is not null)
        {
            throw CliException.Usage($"{(token is not null ? TokenVariable : TokenFileVariable)} is set but {UrlVariable} is not: set {UrlVariable} to the daemon's URL too.");
        }

        var file = HostsFile.DefaultPath();
        var hosts = HostsFile.Load(file);
        return hosts.Count switch
        {
            1 => FromEntry(hosts[0]),
            0 => throw CliException.Usage(
                $"No host to talk to. Add one with: pins hosts add NAME URL (the token is read from stdin), or set {UrlVariable} and {TokenVariable} or {TokenFileVariable}."),
            _ => throw CliException.Usage(
                $"Several hosts are added ({string.Join(", ", hosts.Select(h => h.Name))}): choose one with --host NAME."),
        };
    }

    public static HostTarget FromEntry(HostEntry host) => new(
        host.Name,
        host.Name,
        host.Url,
        host.Token,
        host.CertificateSha256 is { } pinned ? CertificateCheck.Pinned(pinned) : CertificateCheck.SystemTrust);

    private static HostTarget FromEnvironment(string urlText, string? token, string? tokenFile)
    {
        if (!HostUrls.TryParse(urlText, out var url, out var problem))
        {
            throw CliException.Usage($"{UrlVariable} is not a daemon's URL: {problem}.");
        }

        var secret = (token, tokenFile) switch
        {
            (not null, not null) => throw CliException.Usage($"Both {TokenVariable} and {TokenFileVariable} are set: set one of them."),
            (not null, null) => Tokens.FromEnvironment(TokenVariable, token),
            (null, not null) => Tokens.FromFile(tokenFile, TokenFileVariable),
            _ => throw CliException.Usage($"{UrlVariable} is set, but neither {TokenVariable} nor {TokenFileVariable}: set one of them to the daemon's token."),
        };
        return new HostTarget(HostUrls.Label(url), null, url, secret, CertificateCheck.SystemTrust);
    }

    private static string? Variable(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
}
