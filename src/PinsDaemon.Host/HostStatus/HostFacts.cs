using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using PinsDaemon.Actors.Runs;
using PinsDaemon.Contracts;

namespace PinsDaemon.Host.HostStatus;

/// <summary>
/// Reads what the kernel and the distribution say about the machine. Each file is small; each
/// read is capped anyway, and a file that is missing or unreadable gives null, never an error.
/// </summary>
internal sealed class HostFacts(HostPaths paths, TimeProvider clock)
{
    /// <summary>The files read here are a few hundred bytes; 64 KiB is far beyond any real one.</summary>
    private const int MaxFileBytes = 64 * 1024;

    /// <summary>
    /// The unit of <c>/proc/PID/stat</c>'s times (USER_HZ): 100 on every Linux architecture
    /// Debian ships for (amd64, arm64, armhf, i386, ...).
    /// </summary>
    private const int ClockTicksPerSecond = 100;

    /// <summary>Packages named in reboot-required.pkgs that are reported, at most.</summary>
    private const int MaxRebootPackages = 1000;

    public OsRelease? ReadOsRelease()
    {
        foreach (var path in paths.OsRelease)
        {
            if (ReadSmall(path) is { } text)
            {
                return ParseOsRelease(text);
            }
        }

        return null;
    }

    public string? ReadKernel() => ReadSmall(paths.KernelRelease)?.Trim() is { Length: > 0 } kernel ? kernel : null;

    public string? ReadBootId() => ReadSmall(paths.BootId)?.Trim() is { Length: > 0 } id ? id : null;

    /// <summary>
    /// Seconds since this system booted: since its PID 1 started when that can be read, else since
    /// the kernel booted. The two differ by a second on a machine; in a container, which keeps the
    /// kernel across its own reboots, only PID 1's start tells its boot.
    /// </summary>
    public double? ReadUptimeSeconds()
    {
        if (ReadSmall(paths.Uptime) is not { } text || ParseUptime(text) is not { } kernelUptime)
        {
            return null;
        }

        return ReadSmall(paths.InitStat) is { } stat && BootIdentity.ParseStartTime(stat) is { } ticks
            ? Math.Max(0, Math.Round(kernelUptime - ((double)ticks / ClockTicksPerSecond), 2))
            : kernelUptime;
    }

    public DateTimeOffset? BootedAt(double? uptimeSeconds) =>
        uptimeSeconds is { } seconds ? TruncateToSecond(clock.GetUtcNow() - TimeSpan.FromSeconds(seconds)) : null;

    public bool RebootRequired() => File.Exists(paths.RebootRequired);

    /// <summary>The packages that asked for a reboot, de-duplicated in file order; null when none are named.</summary>
    public IReadOnlyList<string>? RebootRequiredPackages()
    {
        if (ReadSmall(paths.RebootRequiredPackages) is not { } text)
        {
            return null;
        }

        var packages = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Distinct(StringComparer.Ordinal)
            .Take(MaxRebootPackages)
            .ToArray();
        return packages.Length == 0 ? null : packages;
    }

    /// <summary>When the package lists were last updated, in Unix seconds; null when no stamp exists.</summary>
    public double? PackageCacheTimestamp()
    {
        foreach (var path in paths.PackageCacheStamps)
        {
            try
            {
                if (File.Exists(path) || Directory.Exists(path))
                {
                    return (File.GetLastWriteTimeUtc(path) - DateTime.UnixEpoch).TotalSeconds;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return null;
            }
        }

        return null;
    }

    /// <summary>Debian's name for the architecture (what dpkg and apt print).</summary>
    public static string DebianArchitecture(Architecture architecture) => architecture switch
    {
        Architecture.X64 => "amd64",
        Architecture.Arm64 => "arm64",
        Architecture.Arm => "armhf",
        Architecture.X86 => "i386",
        Architecture.Ppc64le => "ppc64el",
        Architecture.LoongArch64 => "loong64",
        _ => architecture.ToString().ToLowerInvariant(),
    };

    /// <summary>The fields of os-release(5) that <c>GET /host</c> reports; quotes and escapes removed.</summary>
    public static OsRelease ParseOsRelease(string text)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            var equals = line.IndexOf('=');
            if (line.StartsWith('#') || equals <= 0)
            {
                continue;
            }

            values[line[..equals]] = Unquote(line[(equals + 1)..]);
        }

        return new OsRelease(
            values.GetValueOrDefault("ID"),
            values.GetValueOrDefault("VERSION_ID"),
            values.GetValueOrDefault("VERSION_CODENAME"),
            values.GetValueOrDefault("PRETTY_NAME"));
    }

    /// <summary>The first field of <c>/proc/uptime</c>: seconds since boot.</summary>
    public static double? ParseUptime(string text)
    {
        var first = text.Split(' ', 2)[0].Trim();
        return double.TryParse(first, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds) ? seconds : null;
    }

    private static string Unquote(string value)
    {
        if (value.Length >= 2 && (value[0] is '"' or '\'') && value[^1] == value[0])
        {
            value = value[1..^1];
        }

        var result = new StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '\\' && i + 1 < value.Length)
            {
                i++;
            }

            result.Append(value[i]);
        }

        return result.ToString();
    }

    private static DateTimeOffset TruncateToSecond(DateTimeOffset time) =>
        new(time.Ticks - (time.Ticks % TimeSpan.TicksPerSecond), time.Offset);

    private static string? ReadSmall(string path)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
            var buffer = new byte[MaxFileBytes];
            var total = 0;
            int read;
            while (total < buffer.Length && (read = file.Read(buffer, total, buffer.Length - total)) > 0)
            {
                total += read;
            }

            return Encoding.UTF8.GetString(buffer, 0, total);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
