using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using PinsDaemon.Fleet;

namespace PinsDaemon.Host.Fleet;

/// <summary>Seeds as people write them (<c>pi-1.local:2552</c>) turned into the Akka addresses every node must agree on.</summary>
internal static class FleetSeeds
{
    private const string Scheme = "akka.ssl.tcp://";

    public static bool TryNormalise(string seed, [NotNullWhen(true)] out string? address, out string problem)
    {
        address = null;
        var text = seed.Trim();
        if (text.Contains("://", StringComparison.Ordinal))
        {
            var prefix = $"{Scheme}{FleetSettings.SystemName}@";
            if (!text.StartsWith(prefix, StringComparison.Ordinal))
            {
                problem = $"a seed address is {prefix}host:port (TLS between nodes is mandatory, and the actor system is '{FleetSettings.SystemName}'), or just host:port.";
                return false;
            }

            text = text[prefix.Length..];
        }

        var colon = text.LastIndexOf(':');
        if (colon <= 0
            || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            || port is < 1 or > 65535
            || text[..colon].Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_')))
        {
            problem = "write it as host:port, e.g. 192.168.1.20:2552 or pi-1.local:2552, exactly as that node's Fleet:Hostname and Fleet:Port say.";
            return false;
        }

        address = $"{Scheme}{FleetSettings.SystemName}@{text[..colon]}:{port}";
        problem = string.Empty;
        return true;
    }
}
