using Spectre.Console;

namespace PinsDaemon.Cli.Output;

/// <summary>
/// Text on its way to a terminal line. Control characters are neutralised before, by
/// <see cref="PinsDaemon.Contracts.ControlCharacters.Neutralize"/>, as the daemon does.
/// </summary>
internal static class TerminalText
{
    /// <summary>Cuts <paramref name="text"/> to <paramref name="cells"/> terminal cells, so a line never wraps (a progress line that wrapped could not be cleared in place).</summary>
    public static string Fit(string text, int cells, string ellipsis)
    {
        if (cells <= ellipsis.Length)
        {
            return string.Empty;
        }

        if (text.GetCellWidth() <= cells)
        {
            return text;
        }

        var used = 0;
        var end = 0;
        while (end < text.Length)
        {
            var next = char.IsSurrogatePair(text, end) ? 2 : 1;
            var width = text.Substring(end, next).GetCellWidth();
            if (used + width > cells - ellipsis.Length)
            {
                break;
            }

            used += width;
            end += next;
        }

        return text[..end] + ellipsis;
    }
}
