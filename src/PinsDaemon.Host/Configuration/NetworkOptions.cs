namespace PinsDaemon.Host.Configuration;

/// <summary>Where the daemon may listen and whom it believes about client addresses (<c>Network:*</c>).</summary>
public sealed class NetworkOptions
{
    public const string SectionName = "Network";

    /// <summary>
    /// Listening on a non-loopback address over plain HTTP sends the token across the network in
    /// clear text. Refused unless this is set (and then warned about at every start).
    /// </summary>
    public bool AllowPlainHttpOnNetwork { get; set; }

    /// <summary>
    /// Reverse proxies (IP addresses) whose X-Forwarded-For is believed. Empty: the header is
    /// ignored and the connection's address is the client's.
    /// </summary>
    public string[] KnownProxies { get; set; } = [];
}
