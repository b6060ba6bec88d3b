using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;

namespace PinsDaemon.Cli.Hosts;

/// <summary>
/// The per-user list of hosts, with their tokens: <c>$XDG_CONFIG_HOME/pins/hosts.json</c>
/// (<c>~/.config/pins/hosts.json</c> when that is not set; <c>%APPDATA%\pins\hosts.json</c> on
/// Windows). Mode 0600 in a 0700 directory, replaced atomically; a file that other users can
/// read or write is refused, as ssh refuses such keys.
/// </summary>
internal static class HostsFile
{
    private const string FileName = "hosts.json";

    /// <summary>1 MiB: a few hundred hosts take a few dozen KiB; a larger file is not one pins wrote.</summary>
    private const int MaxBytes = 1024 * 1024;

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private const UnixFileMode GroupOrOther =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>Where the file is for this user; throws a usage error when the environment names no home.</summary>
    public static string DefaultPath()
    {
        if (OperatingSystem.IsWindows())
        {
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData), "pins", FileName);
        }

        // XDG Base Directory: a relative XDG_CONFIG_HOME is invalid and is ignored.
        var xdg = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
        if (!string.IsNullOrEmpty(xdg) && Path.IsPathFullyQualified(xdg))
        {
            return Path.Combine(xdg, "pins", FileName);
        }

        var home = Environment.GetEnvironmentVariable("HOME");
        if (string.IsNullOrEmpty(home) || !Path.IsPathFullyQualified(home))
        {
            throw CliException.Usage("Neither XDG_CONFIG_HOME nor HOME is set, so pins has no hosts file. Set one, or use PINS_URL with PINS_TOKEN or PINS_TOKEN_FILE.");
        }

        return Path.Combine(home, ".config", "pins", FileName);
    }

    public static IReadOnlyList<HostEntry> Load(string path)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return [];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw CliException.Usage($"{path} cannot be read: {ex.Message}");
        }

        using (stream)
        {
            CheckPrivate(stream.SafeFileHandle, path);

            if (stream.Length > MaxBytes)
            {
                throw CliException.Usage($"{path} is larger than {MaxBytes / 1024} KiB, so it is not a hosts file pins wrote. Move it away and add the hosts again.");
            }

            FileModel? model;
            try
            {
                model = JsonSerializer.Deserialize<FileModel>(stream, Json);
            }
            catch (JsonException ex)
            {
                throw CliException.Usage($"{path} is not valid JSON ({ex.Message}). Fix it, or move it away and add the hosts again.");
            }

            return (model?.Hosts ?? []).Select(host => Validate(host, path)).ToList();
        }
    }

    public static void Save(string path, IReadOnlyList<HostEntry> hosts)
    {
        var directory = Path.GetDirectoryName(path)!;
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        // Written beside the file and renamed over it: a crash leaves the old file or the new
        // one, never half of one; and the new file is 0600 from its first byte.
        var temporary = Path.Combine(directory, $".{FileName}.{Convert.ToHexString(RandomNumberGenerator.GetBytes(8))}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnly;
        }

        try
        {
            using (var stream = new FileStream(temporary, options))
            {
                var model = new FileModel(hosts.Select(h => (HostModel?)new HostModel(h.Name, h.Url.ToString(), h.Token, h.CertificateSha256)).ToList());
                JsonSerializer.Serialize(stream, model, Json);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TryDelete(temporary);
            throw CliException.Usage($"{path} cannot be written: {ex.Message}");
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The error that brought us here is the one to report.
        }
    }

    private static void CheckPrivate(SafeFileHandle handle, string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var mode = File.GetUnixFileMode(handle);
        if ((mode & GroupOrOther) != 0)
        {
            throw CliException.Usage(
                $"{path} holds tokens but other users can read or change it (mode {Convert.ToString((int)mode & 0x1FF, 8)}). Run: chmod 600 {path}");
        }
    }

    private static HostEntry Validate(HostModel? host, string path)
    {
        if (host is null
            || !HostNames.IsValid(host.Name)
            || host.Url is null
            || !HostUrls.TryParse(host.Url, out var url, out _)
            || !Tokens.IsValid(host.Token))
        {
            throw CliException.Usage($"{path} has an entry pins cannot use (each needs a valid name, url and token). Fix it, or remove the host and add it again.");
        }

        string? fingerprint = null;
        if (host.CertificateSha256 is not null && !Fingerprint.TryParse(host.CertificateSha256, out fingerprint))
        {
            throw CliException.Usage($"{path}: the certificate fingerprint of '{host.Name}' is not a SHA-256 fingerprint.");
        }

        if (url.Scheme == Uri.UriSchemeHttps && fingerprint is null)
        {
            throw CliException.Usage($"{path}: '{host.Name}' is an HTTPS host without a pinned certificate. Remove it and add it again.");
        }

        return new HostEntry(host.Name, url, host.Token!, fingerprint);
    }

    private sealed record FileModel(List<HostModel?>? Hosts);

    private sealed record HostModel(string Name, string? Url, string? Token, string? CertificateSha256);
}
