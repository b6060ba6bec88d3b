using Microsoft.Extensions.Options;

namespace PinsDaemon.Host.Configuration;

/// <summary>
/// Start-up self-check: with sudo, the script runs as root, so it and every directory above it
/// must be root's alone, and so must the runs directory the daemon reads the runs' files from.
/// Without sudo (development) the script runs as the daemon's own user and gains nothing, so it
/// is not checked.
/// </summary>
internal sealed class UpgradeOptionsValidator(IOptions<StorageOptions> storage) : IValidateOptions<UpgradeOptions>
{
    public ValidateOptionsResult Validate(string? name, UpgradeOptions options)
    {
        if (!options.UseSudo || string.IsNullOrEmpty(options.ScriptPath) || !Path.IsPathRooted(options.ScriptPath))
        {
            return ValidateOptionsResult.Skip;
        }

        if (RunsDirectoryProblem(options.RunsDirectory) is { } runsProblem)
        {
            return ValidateOptionsResult.Fail(runsProblem);
        }

        if (!File.Exists(options.ScriptPath))
        {
            // Jobs will fail with a message saying so; the daemon can still serve history. The
            // warning comes once, at start (DaemonApp): validation may run more than once.
            return ValidateOptionsResult.Skip;
        }

        var problem = FileSecurity.WhoElseCanModify(options.ScriptPath);
        return problem is null
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(
                $"Upgrade:ScriptPath '{options.ScriptPath}' runs as root, but {problem}. Anyone who can change it can run code as root: " +
                "reinstall it with apt install --reinstall pinsdaemon (root-owned, mode 0755, in a root-owned directory).");
    }

    /// <summary>
    /// The runs directory is written by root and read by the daemon: it must not be the daemon's
    /// own (a directory the daemon owns could be swapped for a symlink under root's feet). It may
    /// not exist yet: the script creates it at the first run.
    /// </summary>
    private string? RunsDirectoryProblem(string runs)
    {
        if (string.IsNullOrEmpty(runs) || !Path.IsPathRooted(runs))
        {
            // The data annotations say so.
            return null;
        }

        var full = Path.GetFullPath(runs).TrimEnd('/');
        var state = Path.GetFullPath(storage.Value.Directory).TrimEnd('/');
        if (full == state || full.StartsWith(state + "/", StringComparison.Ordinal) || state.StartsWith(full + "/", StringComparison.Ordinal))
        {
            return $"Upgrade:RunsDirectory '{runs}' overlaps Storage:Directory '{storage.Value.Directory}': root writes the runs' files, " +
                   "so they must live in a directory the daemon does not own (the default is /var/lib/pinsdaemon-upgrade).";
        }

        var info = new DirectoryInfo(full);
        if (info.LinkTarget is not null)
        {
            return $"Upgrade:RunsDirectory '{runs}' is a symbolic link; it must be a directory owned by root (the script creates it).";
        }

        if (!info.Exists)
        {
            return File.Exists(full) ? $"Upgrade:RunsDirectory '{runs}' is a file, not a directory." : null;
        }

        return FileSecurity.WhoElseCanModify(full) is { } problem
            ? $"Upgrade:RunsDirectory '{runs}' is written by root and read by the daemon, but {problem}. Remove it; the script creates it owned by root."
            : null;
    }
}
