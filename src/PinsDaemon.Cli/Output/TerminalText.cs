using System.Text;
using Spectre.Console;

namespace PinsDaemon.Cli.Output;

/// <summary>Text from a host (package output, messages, package names) on its way to a terminal.</summary>
internal static class TerminalText
{
    /// <summary>
    /// Control characters other than TAB become U+FFFD, so package output cannot move the
    /// cursor, retitle the window, ring the bell or hide text (ESC, CSI, OSC, BEL, CR, C1).
    /// Stand-in for the shared function that branch <c>fixes</c> adds to the contract
    /// (issue 14 item 10); this call switches to it when that lands.
    /// </summary>
    public static string Neutralise(string text)
    {
        var span = text.AsSpan();
        if (span.IndexOfAnyInRange('\u0000', '\u001f') < 0 && span.IndexOfAnyInRange('\u007f', '\u009f') < 0)
        {
            return text;
        }

        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            builder.Append(char.IsControl(c) && c != '\t' ? '\uFFFD' : c);
        }

        return builder.ToString();
    }

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
