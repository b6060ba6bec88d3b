using System.Globalization;
using System.Runtime.InteropServices;

namespace PinsDaemon.Host.Activation;

/// <summary>
/// The listening sockets systemd passed (<c>LISTEN_FDS</c>, sd_listen_fds(3)), taken once at
/// start. Taking them marks each close-on-exec and removes the <c>LISTEN_*</c> variables, as
/// sd_listen_fds(unset_environment=1) does: sudo, the root launcher and a detached run must
/// neither hold the daemon's listening socket nor believe it was passed to them.
/// </summary>
internal static partial class SystemdSockets
{
    /// <summary>The first passed descriptor (SD_LISTEN_FDS_START).</summary>
    private const int FirstDescriptor = 3;

    /// <summary>More than any socket unit of ours passes; a larger count is not systemd's.</summary>
    private const int MaxDescriptors = 64;

    private const int SetDescriptorFlags = 2; // F_SETFD
    private const int CloseOnExec = 1; // FD_CLOEXEC

    private static readonly Lazy<IReadOnlyList<int>> Taken = new(TakeFromEnvironment);

    /// <summary>The passed descriptors, empty when systemd passed none to this process.</summary>
    public static IReadOnlyList<int> Descriptors => Taken.Value;

    public static bool Passed => Descriptors.Count > 0;

    private static IReadOnlyList<int> TakeFromEnvironment()
    {
        var pid = Environment.GetEnvironmentVariable("LISTEN_PID");
        var count = Environment.GetEnvironmentVariable("LISTEN_FDS");
        foreach (var name in (string[])["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"])
        {
            Environment.SetEnvironmentVariable(name, null);
        }

        // LISTEN_PID names the process the sockets are for: a child that inherited the variables
        // from its parent must not take the parent's descriptors.
        if (pid != Environment.ProcessId.ToString(CultureInfo.InvariantCulture)
            || !int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            || n is < 1 or > MaxDescriptors)
        {
            return [];
        }

        var descriptors = Enumerable.Range(FirstDescriptor, n).ToArray();
        foreach (var descriptor in descriptors)
        {
            if (Fcntl(descriptor, SetDescriptorFlags, CloseOnExec) != 0)
            {
                throw new InvalidOperationException(
                    $"systemd passed descriptor {descriptor} (LISTEN_FDS={n}), but it is not open: errno {Marshal.GetLastPInvokeError()}.");
            }
        }

        return descriptors;
    }

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int descriptor, int command, int argument);
}
