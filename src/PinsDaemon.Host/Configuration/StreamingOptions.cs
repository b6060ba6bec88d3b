using System.ComponentModel.DataAnnotations;

namespace PinsDaemon.Host.Configuration;

/// <summary>Caps on open log WebSockets (<c>Streaming:*</c>).</summary>
public sealed class StreamingOptions
{
    public const string SectionName = "Streaming";

    /// <summary>
    /// All log streams at once. A stream costs a few KiB while it keeps up and at most a 512 KiB
    /// buffer while behind, so 128 bound the worst case at ~64 MiB.
    /// </summary>
    [Range(1, 10_000, ErrorMessage = "Streaming:MaxConnections must be between 1 and 10000.")]
    public int MaxConnections { get; set; } = 128;

    /// <summary>
    /// Log streams from one client address: 64 leaves room for a proxy or a dashboard fanning out
    /// to many viewers, and still keeps one address from taking every slot.
    /// </summary>
    [Range(1, 10_000, ErrorMessage = "Streaming:MaxConnectionsPerAddress must be between 1 and 10000.")]
    public int MaxConnectionsPerAddress { get; set; } = 64;

    /// <summary>
    /// A connection that reads nothing for this long while lines wait for it is closed with 1013.
    /// A connection that is merely slower than a burst is not closed: it catches up from the log.
    /// </summary>
    [Range(1, 3600, ErrorMessage = "Streaming:StallTimeoutSeconds must be between 1 and 3600.")]
    public int StallTimeoutSeconds { get; set; } = 30;
}
