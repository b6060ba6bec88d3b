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

    /// <summary>The file-type bits of a mode, and the type of a symbolic link.</summary>
    private const uint TypeMask = 0xF000;

    private const uint SymbolicLink = 0xA000;

    /// <summary>
    /// Why <paramref name="path"/> could be changed by someone other than root, or null when it
    /// cannot. Two checks: the path as written, where every
    /// symbolic link on the way must itself be root's, and the real path it resolves to, where the
    /// file and every directory above it must be root's and not group- or world-writable. A
    /// symbolic link in a root-owned directory that leads into someone else's directory is
    /// therefore refused. A sticky world-writable directory (such as /tmp) is accepted when the
    /// entry below it is root's, since only root may then rename or remove that entry. (A POSIX
    /// ACL that grants write access shows in the group bits of the mode, which are its mask.)
    /// </summary>
    public static string? WhoElseCanModify(string path)
    {
        var full = Path.GetFullPath(path);
        if (CheckChain(full, followLinks: false) is { } asWritten)
        {
            return asWritten;
        }

        var real = RealPath(full);
        if (real is null)
        {
            return $"'{full}' cannot be resolved to a real path";
        }

        return real == full ? null : CheckChain(real, followLinks: true);
    }

    /// <summary>True when users other than the owner and group may read the file.</summary>
    public static bool IsReadableByOthers(string path) =>
        (File.GetUnixFileMode(path) & UnixFileMode.OtherRead) != 0;

    /// <summary>Checks <paramref name="path"/> and each directory above it, up to /.</summary>
    /// <param name="followLinks">
    /// False for the path as written: a symbolic link is judged by its own owner (its mode means
    /// nothing), and where it leads is the real path's business.
    /// </param>
    private static string? CheckChain(string path, bool followLinks)
    {
        var current = path;
        string? child = null;
        while (true)
        {
            if (!TryStat(current, followLinks, out var uid, out var mode))
            {
                return $"'{current}' cannot be inspected";
            }

            if (uid != 0)
            {
                return $"'{current}' is owned by uid {uid}, not root";
            }

            var permissions = (UnixFileMode)(mode & 0xFFF);
            if ((mode & TypeMask) != SymbolicLink && (permissions & GroupOrOtherWrite) != 0)
            {
                var stickyProtectsChild = (permissions & UnixFileMode.StickyBit) != 0 && child is not null;
                if (!stickyProtectsChild)
                {
                    return $"'{current}' is writable by its group or by others (mode {Convert.ToString((int)permissions, 8)})";
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

    /// <summary>The owner and st_mode of <paramref name="path"/> (of a link itself unless <paramref name="followLinks"/>).</summary>
    private static bool TryStat(string path, bool followLinks, out uint uid, out uint mode)
    {
        // statx(2) rather than stat(2): its struct is the same on every architecture (stat's
        // differs between x86_64 and arm64), and glibc exports it since 2.28, while the stat
        // and lstat symbols only arrived in 2.33.
        Span<byte> buffer = stackalloc byte[StatxSize];
        var flags = followLinks ? 0 : AtSymlinkNoFollow;
        if (Statx(AtFdCwd, path, flags, StatxBasicStats, ref MemoryMarshal.GetReference(buffer)) != 0)
        {
            uid = uint.MaxValue;
            mode = 0;
            return false;
        }

        uid = MemoryMarshal.Read<uint>(buffer[StatxUidOffset..]);
        mode = MemoryMarshal.Read<ushort>(buffer[StatxModeOffset..]);
        return true;
    }

    /// <summary>realpath(3): every symbolic link and "..", resolved; null when that fails.</summary>
    private static string? RealPath(string path)
    {
        var resolved = Marshal.AllocHGlobal(PathMax);
        try
        {
            return RealPath(path, resolved) == IntPtr.Zero ? null : Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            Marshal.FreeHGlobal(resolved);
        }
    }

    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7FF;

    /// <summary>sizeof(struct statx), and where stx_uid and stx_mode sit in it (linux/stat.h).</summary>
    private const int StatxSize = 256;

    private const int StatxUidOffset = 20;
    private const int StatxModeOffset = 28;

    /// <summary>PATH_MAX on Linux: realpath(3) writes at most this many bytes.</summary>
    private const int PathMax = 4096;

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Statx(int directory, string path, int flags, uint mask, ref byte buffer);

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial IntPtr RealPath(string path, IntPtr resolved);
}
