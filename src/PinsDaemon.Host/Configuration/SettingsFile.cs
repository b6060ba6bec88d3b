using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.Ini;
using Microsoft.Extensions.FileProviders;

namespace PinsDaemon.Host.Configuration;

/// <summary>
/// The administrator's settings file (the package's conffile, <c>/etc/pinsdaemon/pinsdaemon.conf</c>),
/// named by the <c>SettingsFile</c> setting. It is INI: <c>Section:Key</c> is written as
/// <c>Key = value</c> under <c>[Section]</c>, and top-level keys such as <c>urls</c> come before any
/// section. It ranks above appsettings.json and below environment variables and the command line,
/// so the unit's <c>Environment=</c> lines (the package's own paths) keep their values.
/// </summary>
internal static class SettingsFile
{
    public const string Key = "SettingsFile";

    private const UnixFileMode GroupOrOtherWrite = UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;

    public static WebApplicationBuilder AddPinsSettingsFile(this WebApplicationBuilder builder)
    {
        var path = builder.Configuration[Key];
        if (string.IsNullOrEmpty(path))
        {
            return builder;
        }

        if (!Path.IsPathRooted(path))
        {
            throw Problem($"{Key} '{path}' must be an absolute path.");
        }

        if (!File.Exists(path))
        {
            throw Problem($"{Key} '{path}' does not exist.");
        }

        // The file decides where the daemon listens and whom it trusts: only its owner may change it.
        var mode = File.GetUnixFileMode(path);
        if ((mode & GroupOrOtherWrite) != 0)
        {
            throw Problem($"{Key} '{path}' is writable by other users (mode {Convert.ToString((int)mode & 0xFFF, 8)}). Restrict it: chmod 644 '{path}'.");
        }

        var source = new IniConfigurationSource
        {
            FileProvider = new PhysicalFileProvider(Path.GetDirectoryName(path)!),
            Path = Path.GetFileName(path),
            Optional = false,
            ReloadOnChange = false,
        };
        var sources = builder.Configuration.Sources;
        var index = sources.TakeWhile(s => s is not EnvironmentVariablesConfigurationSource).Count();
        try
        {
            sources.Insert(index, source);
        }
        catch (InvalidDataException ex)
        {
            throw Problem($"{Key} '{path}' is not valid: {ex.InnerException?.Message ?? ex.Message} Each line is '[Section]', 'Key = value' or a comment starting with '#' or ';'.");
        }
        catch (IOException ex)
        {
            throw Problem($"{Key} '{path}' cannot be read: {ex.Message}");
        }

        return builder;
    }

    private static SettingsFileException Problem(string message) => new(message);
}

/// <summary>An unusable settings file: Program.cs prints the message and exits with 78 (EX_CONFIG).</summary>
internal sealed class SettingsFileException(string message) : Exception(message);
