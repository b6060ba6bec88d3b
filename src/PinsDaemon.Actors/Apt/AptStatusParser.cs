using System.Globalization;
using PinsDaemon.Contracts;

namespace PinsDaemon.Actors.Apt;

/// <summary>
/// Reads apt's machine-readable progress (<c>-o APT::Status-Fd</c>): lines of the form
/// <c>type:field:percent:message</c>, split on the first three colons only (the message may hold
/// more), e.g. <c>dlstatus:1:42.5000:Retrieving file 1 of 3</c> or
/// <c>pmstatus:zip:60.0000:Configuring zip (amd64)</c>. See apt's doc/progress-reporting.md.
/// </summary>
public static class AptStatusParser
{
    /// <param name="currentPhase">The script's phase, which tells an update's downloads from an upgrade's.</param>
    public static JobProgress? Parse(string line, string currentPhase)
    {
        var parts = line.Split(':', 4);
        if (parts.Length < 4)
        {
            return null;
        }

        double? percent = double.TryParse(parts[2], NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? Math.Clamp(Math.Round(value, 1), 0, 100)
            : null;
        var message = parts[3].Trim();
        switch (parts[0])
        {
            case "dlstatus":
                return new JobProgress(currentPhase == "update" ? "update" : "download", percent, null, message);
            case "pmstatus":
                return new JobProgress("install", percent, PackageName(parts[1]), message);
            case "pmerror":
                return new JobProgress("install", percent, PackageName(parts[1]), $"error: {message}");
            case "pmconffile":
                return new JobProgress("install", percent, null, $"configuration file: {parts[1]}");
            default:
                return null;
        }
    }

    // "dpkg-exec" is apt's name for "dpkg is running", not a package.
    private static string? PackageName(string field) => field is "" or "dpkg-exec" ? null : field;
}
