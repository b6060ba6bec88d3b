using System.ComponentModel.DataAnnotations;

namespace PinsDaemon.Host.HostStatus;

/// <summary>What the daemon reads about its host (<c>Host:*</c>).</summary>
public sealed class HostStatusOptions
{
    public const string SectionName = "Host";

    /// <summary>apt's history log; its rotated files (<c>.1</c>, <c>.2.gz</c>, ...) are read beside it.</summary>
    [Required(ErrorMessage = "Host:AptHistoryLog must be set.")]
    [RegularExpression("^/.*[^/]$", ErrorMessage = "Host:AptHistoryLog must be an absolute path to a file.")]
    public string AptHistoryLog { get; set; } = "/var/log/apt/history.log";

    /// <summary>Whether <c>POST /reboot</c> may reboot the machine; off unless an owner turns it on.</summary>
    public bool AllowReboot { get; set; }
}
