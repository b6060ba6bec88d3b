using System.Globalization;
using System.Runtime.InteropServices;

namespace PinsDaemon.Bench;

/// <summary>What /proc says about another process: resident memory and CPU time.</summary>
internal static class ProcFs
{
    private const int ScClkTck = 2;

    private static readonly long ClockTicks = sysconf(ScClkTck) is > 0 and var ticks ? ticks : 100;

    /// <summary>VmRSS in KiB, or -1 when the process is gone.</summary>
    public static long RssKiB(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }

        return -1;
    }

    /// <summary>utime + stime of the process (all its threads; not its reaped children).</summary>
    public static TimeSpan CpuTime(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // The command name (field 2) may contain spaces and parentheses: count from the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var utime = long.Parse(fields[14 - 3], CultureInfo.InvariantCulture);
        var stime = long.Parse(fields[15 - 3], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds((utime + stime) / (double)ClockTicks);
    }

    public static double MiB(long kib) => kib / 1024.0;

    [DllImport("libc")]
    private static extern long sysconf(int name);

    [DllImport("libc", SetLastError = true)]
    public static extern int kill(int pid, int signal);
}
