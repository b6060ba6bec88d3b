using System.Buffers;

namespace PinsDaemon.Contracts;

/// <summary>
/// Makes text safe to print on a terminal or write as one log line. Package output reaches
/// operators' terminals (through <c>jq -r .text</c>, the CLI, a log viewer), and a control
/// character there is a command: ESC starts colour changes, cursor moves, title and clipboard
/// writes (OSC); BEL rings; CR and LF forge or hide lines; 8-bit C1 characters (U+0080–U+009F)
/// act as ESC sequences on some terminals. Every control character but TAB is therefore
/// replaced by a visible one:
/// <list type="bullet">
/// <item>U+0000–U+001F (except TAB) become their Unicode control pictures U+2400–U+241F,
/// so ESC shows as ␛, BEL as ␇, CR as ␍, LF as ␊;</item>
/// <item>DEL (U+007F) becomes ␡ (U+2421);</item>
/// <item>C1 controls (U+0080–U+009F), which have no pictures, become U+FFFD (�), as invalid
/// UTF-8 does.</item>
/// </list>
/// One character always becomes one character, so lengths (and anything measured by them) do
/// not change. The daemon applies this where output text becomes a log line, so the stored log,
/// <c>GET /jobs/{id}/log</c> and the WebSocket serve the same text; clients apply it to anything
/// else they print.
/// </summary>
public static class ControlCharacters
{
    private const char FirstControlPicture = '\u2400';
    private const char DeletePicture = '\u2421';
    private const char Replacement = '\uFFFD';

    /// <summary>
    /// <paramref name="text"/> with every control character but TAB replaced (see the class);
    /// the same instance when there is none, so ordinary lines cost no allocation.
    /// </summary>
    public static string Neutralize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var first = IndexOfControl(text);
        if (first < 0)
        {
            return text;
        }

        return string.Create(text.Length, (text, first), static (chars, state) =>
        {
            var (source, start) = state;
            source.AsSpan(0, start).CopyTo(chars);
            for (var i = start; i < chars.Length; i++)
            {
                chars[i] = Replace(source[i]);
            }
        });
    }

    /// <summary>The character <paramref name="c"/> is shown as: itself, unless it is a control character other than TAB.</summary>
    public static char Replace(char c) => c switch
    {
        '\t' => c,
        < ' ' => (char)(FirstControlPicture + c),
        '\u007F' => DeletePicture,
        >= '\u0080' and <= '\u009F' => Replacement,
        _ => c,
    };

    // Every line the daemon serves passes through here: a vectorised search keeps the common
    // case (nothing to replace) cheap.
    private static readonly SearchValues<char> Controls = SearchValues.Create(
        Enumerable.Range(0, 0xA0).Select(c => (char)c).Where(c => c != '\t' && char.IsControl(c)).ToArray());

    private static int IndexOfControl(string text) => text.AsSpan().IndexOfAny(Controls);
}
