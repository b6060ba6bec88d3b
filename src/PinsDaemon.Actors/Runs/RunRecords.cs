using System.Globalization;

namespace PinsDaemon.Actors.Runs;

/// <summary>
/// A run record, <c>NAME.run</c>: how the run is supervised and on which boot it started (the
/// kernel's boot id and PID 1's start time, see <see cref="BootIdentity"/>). One line of
/// <c>key=value</c> words, written atomically by the launcher (or, without sudo, by the
/// daemon's own wrapper).
/// </summary>
public sealed record RunRecord(string Supervisor, string? Unit, int? Pid, string? BootId, string? Mode, long? Started, long? InitStart = null)
{
    public const string Systemd = "systemd";

    public const string Detached = "detached";

    /// <summary>Null when the text is not a run record (missing supervisor, unknown supervisor).</summary>
    public static RunRecord? Parse(string text)
    {
        var fields = RecordText.Fields(text);
        var supervisor = fields.GetValueOrDefault("supervisor");
        if (supervisor is not (Systemd or Detached))
        {
            return null;
        }

        int? pid = int.TryParse(fields.GetValueOrDefault("pid"), NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p > 0 ? p : null;
        long? started = long.TryParse(fields.GetValueOrDefault("started"), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : null;
        long? initStart = long.TryParse(fields.GetValueOrDefault("init_start"), NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : null;
        return new RunRecord(supervisor, fields.GetValueOrDefault("unit"), pid, fields.GetValueOrDefault("boot_id"), fields.GetValueOrDefault("mode"), started, initStart);
    }
}

/// <summary>
/// An exit record, <c>NAME.exit</c>, written atomically once the run has ended: systemd's
/// <c>$SERVICE_RESULT</c>, <c>$EXIT_CODE</c> (<c>exited</c>, <c>killed</c>, <c>dumped</c>) and
/// <c>$EXIT_STATUS</c> (a number, or a signal name).
/// </summary>
/// <param name="WrittenAt">When the record was written (its file's modification time): when the
/// run ended, even if the daemon learned of it later.</param>
public sealed record ExitRecord(string Result, string ExitKind, string ExitStatus, DateTimeOffset? WrittenAt = null)
{
    private static readonly Dictionary<string, int> Signals = new(StringComparer.Ordinal)
    {
        ["HUP"] = 1, ["INT"] = 2, ["QUIT"] = 3, ["ILL"] = 4, ["ABRT"] = 6, ["FPE"] = 8, ["KILL"] = 9,
        ["SEGV"] = 11, ["PIPE"] = 13, ["ALRM"] = 14, ["TERM"] = 15, ["BUS"] = 7, ["SYS"] = 31,
    };

    public static ExitRecord? Parse(string text, DateTimeOffset? writtenAt = null)
    {
        var fields = RecordText.Fields(text);
        return fields.TryGetValue("exit_code", out var kind) && fields.TryGetValue("exit_status", out var status)
            ? new ExitRecord(fields.GetValueOrDefault("result") ?? "unknown", kind, status, writtenAt)
            : null;
    }

    /// <summary>The exit record in <paramref name="path"/>, with its time, or null when there is none (yet).</summary>
    public static ExitRecord? Read(string path) =>
        RecordText.TryRead(path) is { } text && Parse(text, RecordText.WrittenAt(path)) is { } record ? record : null;

    /// <summary>The run exited on its own with this code; null when a signal ended it.</summary>
    public int? ExitCode => ExitKind == "exited" && int.TryParse(ExitStatus, NumberStyles.None, CultureInfo.InvariantCulture, out var code) ? code : null;

    /// <summary>The signal that ended the run (<c>KILL</c>, <c>TERM</c>, ...), if one did.</summary>
    public string? Signal => ExitKind is "killed" or "dumped" ? ExitStatus.StartsWith("SIG", StringComparison.Ordinal) ? ExitStatus[3..] : ExitStatus : null;

    /// <summary>The code a shell would report: the exit code, or 128 + the signal's number.</summary>
    public int? ShellCode => ExitCode ?? (Signal is { } signal && Signals.TryGetValue(signal, out var number) ? 128 + number : null);

    // The time is not part of the record's text.
    public override string ToString() => $"result={Result} exit_code={ExitKind} exit_status={ExitStatus}";
}

internal static class RecordText
{
    /// <summary>A record is one short line; anything longer is not ours.</summary>
    public const int MaxBytes = 4096;

    public static Dictionary<string, string> Fields(string text)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var word in text.Split([' ', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = word.IndexOf('=');
            if (equals > 0)
            {
                fields.TryAdd(word[..equals], word[(equals + 1)..]);
            }
        }

        return fields;
    }

    /// <summary>The file's modification time, or null when it cannot be read.</summary>
    public static DateTimeOffset? WrittenAt(string path)
    {
        try
        {
            return File.Exists(path) ? new DateTimeOffset(File.GetLastWriteTimeUtc(path), TimeSpan.Zero) : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The file's text, or null when it does not exist (yet) or cannot be read.</summary>
    public static string? TryRead(string path)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var buffer = new byte[MaxBytes];
            var length = file.ReadAtLeast(buffer, MaxBytes, throwOnEndOfStream: false);
            return System.Text.Encoding.UTF8.GetString(buffer, 0, length);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
