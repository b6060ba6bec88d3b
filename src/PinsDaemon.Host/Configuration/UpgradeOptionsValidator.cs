using Microsoft.Extensions.Options;

namespace PinsDaemon.Host.Configuration;

/// <summary>
/// Start-up self-check: with sudo, the script runs as root, so it and every directory above it
/// must be root's alone. Without sudo (development) the script runs as the daemon's own user and
/// gains nothing, so it is not checked.
/// </summary>
internal sealed class UpgradeOptionsValidator(ILoggerFactory loggers) : IValidateOptions<UpgradeOptions>
{
    public ValidateOptionsResult Validate(string? name, UpgradeOptions options)
    {
        if (!options.UseSudo || string.IsNullOrEmpty(options.ScriptPath) || !Path.IsPathRooted(options.ScriptPath))
        {
            return ValidateOptionsResult.Skip;
        }

        if (!File.Exists(options.ScriptPath))
        {
            // Jobs will fail with a message saying so; the daemon can still serve history.
            loggers.CreateLogger("PinsDaemon.Startup").LogWarning(
                "Upgrade:ScriptPath '{ScriptPath}' does not exist: every job will fail until it is installed (apt install --reinstall pinsdaemon)", options.ScriptPath);
            return ValidateOptionsResult.Skip;
        }

        var problem = FileSecurity.WhoElseCanModify(options.ScriptPath);
        return problem is null
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(
                $"Upgrade:ScriptPath '{options.ScriptPath}' runs as root, but {problem}. Anyone who can change it can run code as root: " +
                "reinstall it with apt install --reinstall pinsdaemon (root-owned, mode 0755, in a root-owned directory).");
    }
}
