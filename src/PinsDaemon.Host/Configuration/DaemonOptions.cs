using System.ComponentModel.DataAnnotations;

namespace PinsDaemon.Host.Configuration;

/// <summary>The daemon's own lifetime (<c>Daemon:*</c>).</summary>
public sealed class DaemonOptions
{
    public const string SectionName = "Daemon";

    /// <summary>
    /// Socket-activated only (systemd passed the listening sockets): exit after this long with no
    /// job running, no client connected and no session open; the next connection starts the
    /// daemon again. <c>00:00:00</c> never exits. Without socket activation it has no effect.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "7.00:00:00", ErrorMessage = "Daemon:IdleExitAfter must be between 00:00:00 (never) and 7.00:00:00.")]
    public TimeSpan IdleExitAfter { get; set; } = TimeSpan.FromMinutes(15);
}
