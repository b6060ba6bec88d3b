using System.ComponentModel.DataAnnotations;

namespace PinsDaemon.Host.Configuration;

/// <summary>How jobs run the upgrade script (<c>Upgrade:*</c>).</summary>
public sealed class UpgradeOptions
{
    public const string SectionName = "Upgrade";

    /// <summary>The one script the daemon runs. Must be an absolute path: sudoers matches it literally.</summary>
    [Required]
    [RegularExpression("^/.*", ErrorMessage = "Upgrade:ScriptPath must be an absolute path.")]
    public string ScriptPath { get; set; } = "/usr/libexec/pinsdaemon/system-upgrade.sh";

    /// <summary>
    /// Run the script through <c>sudo -n</c>, which starts each run outside the daemon; false
    /// runs the script directly, detached in a session of its own (development and tests).
    /// </summary>
    public bool UseSudo { get; set; } = true;

    /// <summary>Absolute, so the daemon's PATH cannot substitute another sudo.</summary>
    [Required]
    [RegularExpression("^/.*", ErrorMessage = "Upgrade:SudoPath must be an absolute path.")]
    public string SudoPath { get; set; } = "/usr/bin/sudo";

    /// <summary>
    /// Where the root script writes the runs' files (<c>UseSudo=true</c>): the daemon reads them
    /// and cannot write them. Never inside <c>Storage:Directory</c>, which the daemon owns and
    /// could swap for a symlink under root's feet. It must match the script's own RUNS_DIR.
    /// </summary>
    [Required]
    [RegularExpression("^/.*", ErrorMessage = "Upgrade:RunsDirectory must be an absolute path.")]
    public string RunsDirectory { get; set; } = "/var/lib/pinsdaemon-upgrade";

    /// <summary>A job still running after this is stopped the safe way (never during dpkg) and ends <c>timedOut</c>.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00", ErrorMessage = "Upgrade:Timeout must be between 00:00:01 and 7.00:00:00.")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromHours(2);

    /// <summary>A job with no output for this long gets a warning in its status.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00", ErrorMessage = "Upgrade:IdleWarning must be between 00:00:01 and 1.00:00:00.")]
    public TimeSpan IdleWarning { get; set; } = TimeSpan.FromMinutes(5);
}
