namespace PinsDaemon.Actors.Apt;

/// <summary>
/// Turns a failed run's exit code (see the exit-code table at the top of
/// <c>ops/system-upgrade.sh</c>) into a reason code and a message a person can act on. The exit
/// code and the script's status events decide the reason; output text may only refine it within
/// what the exit code already says (a package that prints "must be accepted explicitly" during a
/// failed apply does not make it a Release-information problem).
/// </summary>
public static class FailureClassifier
{
    /// <param name="dpkgInterrupted">The script reported an interrupted dpkg (status event).</param>
    public static FailureReason Classify(int exitCode, bool dpkgInterrupted, IReadOnlyCollection<string> recentOutput)
    {
        bool Said(string text) => recentOutput.Any(line => line.Contains(text, StringComparison.Ordinal));

        return exitCode switch
        {
            64 => new FailureReason("badArguments", "The upgrade script rejected its arguments: Upgrade:ScriptPath does not point at PinsDaemon's system-upgrade.sh."),
            70 => new FailureReason(
                "lockHeld",
                "Another package manager (unattended-upgrades, apt-daily, or someone in a shell) held the apt or dpkg lock for too long. " +
                "Wait for it to finish ('ps aux | grep -E \"apt|dpkg\"' shows it), then start the job again."),
            // Within a failed update only: apt's own words for a changed Release file.
            71 when Said("must be accepted explicitly") || (Said("changed its") && Said("value from")) => new FailureReason(
                "releaseInfoChanged",
                "A repository changed its Release information (suite, codename or origin), which apt will not accept on its own. " +
                "Review the change, then run 'sudo apt-get update --allow-releaseinfo-change' once on the machine."),
            71 => new FailureReason(
                "updateFailed",
                "apt-get update could not fetch every repository, so the upgrade did not run on stale package lists. " +
                "The log names the repository: check the network, the mirror, or the entry in /etc/apt/sources.list.d/."),
            72 => new FailureReason(
                "dpkgRepairFailed",
                "dpkg had been interrupted and 'dpkg --configure -a' could not finish the pending packages. " +
                "Repair by hand on the machine ('sudo dpkg --configure -a', 'sudo apt-get -f install') before upgrading again."),
            73 when dpkgInterrupted || Said("dpkg was interrupted") => new FailureReason(
                "dpkgInterrupted",
                "dpkg was interrupted by an earlier run. Run an apply (which repairs it first) or 'sudo dpkg --configure -a' on the machine."),
            73 => new FailureReason("upgradeFailed", "apt-get upgrade failed; the log shows which package and why."),
            74 => new FailureReason("scriptError", "The upgrade script could not set itself up (a temporary directory, the runs directory or the run's files); its log says which."),
            77 => new FailureReason("notRoot", "The upgrade script did not run as root. Run the daemon with Upgrade:UseSudo=true and the sudoers rule installed."),
            126 or 127 => new FailureReason("startFailed", "The upgrade script could not be executed: check Upgrade:ScriptPath and its permissions."),
            _ => new FailureReason("scriptFailed", $"The upgrade script exited with code {exitCode}; the log's last lines say why."),
        };
    }

    /// <summary>Why a launch (sudo and the launcher, or the development wrapper) did not start the run.</summary>
    public static FailureReason ClassifyLaunch(int exitCode, bool usedSudo, string output) => exitCode switch
    {
        1 when usedSudo && output.Contains("sudo:", StringComparison.Ordinal) => new FailureReason(
            "sudoRefused",
            "sudo refused to run the upgrade script as root. The sudoers rule is missing or does not match Upgrade:ScriptPath: " +
            "reinstall the package (apt install --reinstall pinsdaemon), or check /etc/sudoers.d/pinsdaemon with 'sudo -l -U sysupdate-api'."),
        64 => new FailureReason("badArguments", "The upgrade script rejected its arguments: Upgrade:ScriptPath does not point at PinsDaemon's system-upgrade.sh."),
        65 => new FailureReason("startFailed", "The upgrade script refused this job id: it was already used."),
        74 => new FailureReason("scriptError", $"The upgrade script could not prepare the run: {Trim(output)}"),
        75 => new FailureReason("startFailed", "The upgrade script found another run active (perhaps started by another daemon or by hand); wait for it to end."),
        77 => new FailureReason("notRoot", "The upgrade script did not run as root. Run the daemon with Upgrade:UseSudo=true and the sudoers rule installed."),
        _ => new FailureReason("startFailed", $"The upgrade could not be started (exit code {exitCode}): {Trim(output)}"),
    };

    /// <summary>A helper's words go into a message: one short line.</summary>
    private static string Trim(string output)
    {
        var line = output.ReplaceLineEndings(" ").Trim();
        return line.Length <= 300 ? line : line[..300] + "…";
    }
}
