using System.ComponentModel.DataAnnotations;

namespace PinsDaemon.Host.Configuration;

/// <summary>Where the daemon may listen, whom it believes about client addresses, and how long it waits for them (<c>Network:*</c>).</summary>
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

    /// <summary>
    /// Open TCP connections from one client address (IPv6: one /64). The daemon takes 500 in
    /// all; without a share per address, one client holding idle connections locks everyone
    /// out. 100 leaves room for the 64 log streams an address may open (Streaming:*) and its
    /// REST calls. Known proxies carry many clients and are not capped.
    /// </summary>
    [Range(1, 10_000, ErrorMessage = "Network:MaxConnectionsPerAddress must be between 1 and 10000.")]
    public int MaxConnectionsPerAddress { get; set; } = 100;

    /// <summary>
    /// A connection must send a complete request head within this many seconds of opening, or
    /// of its previous response; otherwise it is closed. Every request to this API fits in one
    /// packet, and a client that holds connections open without asking anything only uses up
    /// slots. (Kestrel checks once a second, so the close comes up to a second later.)
    /// </summary>
    [Range(1, 300, ErrorMessage = "Network:RequestTimeoutSeconds must be between 1 and 300.")]
    public int RequestTimeoutSeconds { get; set; } = 5;
}
