using System.Runtime.InteropServices;

namespace PinsDaemon.Host.Configuration;

/// <summary>
/// Ownership and mode checks for the files the daemon trusts. The root script must not be
/// replaceable by anyone but root: whoever can write it, or rename any directory above it, runs
/// code as root through the sudoers rule.
/// </summary>
internal static partial class FileSecurity
{
    private const UnixFileMode GroupOrOtherWrite = UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;

    /// <summary>
    /// Why <paramref name="path"/> could be changed by someone other than root, or null when it
    /// cannot: it and every directory above it are owned by root and not group- or
    /// world-writable. A sticky world-writable directory (such as /tmp) is accepted when the
    /// entry below it is root's, since only root may then rename or remove that entry.
    /// </summary>
    public static string? WhoElseCanModify(string path)
    {
        var current = Path.GetFullPath(path);
        string? child = null;
        while (true)
        {
            if (!TryStat(current, out var uid, out var mode))
            {
                return $"'{current}' cannot be inspected";
            }

            if (uid != 0)
            {
                return $"'{current}' is owned by uid {uid}, not root";
            }

            if ((mode & GroupOrOtherWrite) != 0)
            {
                var stickyProtectsChild = (mode & UnixFileMode.StickyBit) != 0 && child is not null;
                if (!stickyProtectsChild)
                {
                    return $"'{current}' is writable by its group or by others (mode {Convert.ToString((int)mode & 0xFFF, 8)})";
                }
            }

            var parent = Path.GetDirectoryName(current);
            if (parent is null)
            {
                return null;
            }

            child = current;
            current = parent;
        }
    }

    /// <summary>True when users other than the owner and group may read the file.</summary>
    public static bool IsReadableByOthers(string path) =>
        (File.GetUnixFileMode(path) & UnixFileMode.OtherRead) != 0;

    private static bool TryStat(string path, out uint uid, out UnixFileMode mode)
    {
        uid = uint.MaxValue;
        mode = 0;
        // struct stat differs between the two ABIs the daemon ships for; st_uid's offset is all
        // that is read from it (x86_64: dev, ino, nlink(8), mode(4), uid; aarch64: dev, ino, mode(4), nlink(4), uid).
        var uidOffset = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => 28,
            Architecture.Arm64 => 24,
            _ => -1,
        };
        try
        {
            mode = File.GetUnixFileMode(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }

        if (uidOffset < 0)
        {
            // An architecture without a known layout: judge by the mode alone.
            uid = 0;
            return true;
        }

        Span<byte> buffer = stackalloc byte[256];
        if (Stat(path, ref MemoryMarshal.GetReference(buffer)) != 0)
        {
            return false;
        }

        uid = MemoryMarshal.Read<uint>(buffer[uidOffset..]);
        return true;
    }

    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Stat(string path, ref byte buffer);
}
