using System.Globalization;

namespace PinsDaemon.Actors.Runs;

/// <summary>
/// What tells one boot of this system from the next, as the daemon sees it and as a run record
/// keeps it: the kernel's boot id, and the start time of PID 1 (in clock ticks after the kernel
/// booted, field 22 of <c>/proc/1/stat</c>).
/// </summary>
/// <remarks>
/// The boot id alone is not enough in a container: a container's reboot keeps the kernel, and
/// a unit with <c>ProtectControlGroups=</c> (the daemon's, and with it the launcher that sudo
/// starts inside its sandbox) gets a fresh <c>/proc</c> that shows the kernel's boot id, not the
/// one nspawn mounts over it for each container boot. Every boot, a container's too, starts a
/// new PID 1, and its start time reads the same from every mount of <c>/proc</c> in the PID
/// namespace. It needs no file written anywhere, so nothing has to be writable inside the
/// daemon's sandbox. Either changing means the system went through a reboot.
/// </remarks>
public sealed record BootIdentity(string BootId, long? InitStart)
{
    /// <summary>This boot, read once: neither value changes while the system runs.</summary>
    public static BootIdentity Current() => new(ReadBootId(), ReadInitStart("/proc/1/stat"));

    /// <summary>Field 22 (starttime) of a <c>/proc/PID/stat</c> text; null when it is not one.</summary>
    public static long? ParseStartTime(string stat)
    {
        // The command name (field 2) is in parentheses and may hold spaces and parentheses of
        // its own: the fields that follow start after the last ')'.
        var close = stat.LastIndexOf(')');
        if (close < 0)
        {
            return null;
        }

        var fields = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // fields[0] is field 3 (state), so field 22 is fields[19].
        return fields.Length > 19 && long.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out var start) ? start : null;
    }

    private static string ReadBootId()
    {
        try
        {
            return File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }

    private static long? ReadInitStart(string path)
    {
        try
        {
            return ParseStartTime(File.ReadAllText(path));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // hidepid= hides PID 1 from other users: the boot id alone then decides.
            return null;
        }
    }
}
