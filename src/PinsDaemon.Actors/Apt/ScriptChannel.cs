using System.Text.RegularExpressions;

namespace PinsDaemon.Actors.Apt;

/// <summary>
/// The status channel from <c>system-upgrade.sh</c> to the daemon, on the script's stdout.
/// </summary>
/// <remarks>
/// sudo closes every file descriptor but 0–2, so apt's status descriptor cannot reach the
/// daemon as a pipe of its own (sudo's <c>closefrom_override</c> would allow it, but widening
/// sudoers and passing a raw descriptor out of .NET is the worse trade). Instead the script's
/// first stdout line announces a 128-bit random nonce, <c>pinsdaemon: channel NONCE</c>, and
/// every status line after it reads <c>pinsdaemon-status NONCE event...</c>. Package output
/// cannot forge those lines: it never sees the nonce, and only the first stdout line may
/// announce it. Status lines are not log lines and never get a seq.
/// </remarks>
public sealed partial class ScriptChannel
{
    private string? _prefix;
    private bool _firstLineSeen;

    public bool IsOpen => _prefix is not null;

    /// <summary>
    /// Looks at one stdout line. Returns true when the line belongs to the channel (the
    /// announcement or a status line); <paramref name="evt"/> then holds the status event, if any.
    /// </summary>
    public bool TryRead(string line, out string? evt)
    {
        evt = null;
        if (!_firstLineSeen)
        {
            _firstLineSeen = true;
            var match = Announcement().Match(line);
            if (match.Success)
            {
                _prefix = $"pinsdaemon-status {match.Groups[1].Value} ";
                return true;
            }

            return false;
        }

        if (_prefix is not null && line.StartsWith(_prefix, StringComparison.Ordinal))
        {
            evt = line[_prefix.Length..];
            return true;
        }

        return false;
    }

    [GeneratedRegex("^pinsdaemon: channel ([0-9a-f]{32})$")]
    private static partial Regex Announcement();
}
