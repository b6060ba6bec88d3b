using System.Text;
using System.Text.Json;
using PinsDaemon.Contracts;

namespace PinsDaemon.Host.Endpoints;

/// <summary>
/// Reads the body of <c>POST /upgrade</c> strictly: <c>{"dryRun": true|false}</c>, and optionally
/// <c>"mode": "upgrade"|"full-upgrade"</c> and <c>"autoremove": true|false</c>, nothing else.
/// A lenient reader would turn a typo such as <c>{"dryrun": true}</c> into a real upgrade.
/// </summary>
internal static class UpgradeRequestParser
{
    /// <summary>The optional members, as <c>POST /fleet/rollouts</c> takes them too.</summary>
    public const string ModeMembers = "\"mode\": \"upgrade\" (the default) or \"full-upgrade\", and \"autoremove\": true";

    public const string Expected = "Send a JSON object: {\"dryRun\": true} or {\"dryRun\": false}, optionally with " + ModeMembers + ".";

    public static bool TryParse(ReadOnlySpan<byte> body, out StartRequest request, out string problem)
    {
        request = new StartRequest(false, UpgradeModes.Upgrade, false);
        if (body.Trim(" \t\r\n"u8).IsEmpty)
        {
            problem = "The request body is empty.";
            return false;
        }

        // AllowMultipleValues only so that trailing content gets a clear message of its own below.
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 4, AllowMultipleValues = true });
        bool? dryRun = null;
        string? mode = null;
        bool? autoremove = null;
        try
        {
            if (!reader.Read())
            {
                problem = "The request body is empty.";
                return false;
            }

            if (reader.TokenType != JsonTokenType.StartObject)
            {
                problem = $"The request body is a JSON {Describe(reader.TokenType)}, not an object.";
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var member = MemberOf(ref reader);
                if (member is null)
                {
                    problem = $"Unknown member '{DescribeName(reader.ValueSpan)}'.";
                    return false;
                }

                if (member == "dryRun" ? dryRun is not null : member == "mode" ? mode is not null : autoremove is not null)
                {
                    problem = $"The member '{member}' appears twice.";
                    return false;
                }

                reader.Read();
                if (member == "mode")
                {
                    if (!TryReadMode(ref reader, out var read, out problem))
                    {
                        return false;
                    }

                    mode = read;
                    continue;
                }

                if (!TryReadBoolean(ref reader, member, out problem))
                {
                    return false;
                }

                if (member == "dryRun")
                {
                    dryRun = reader.GetBoolean();
                }
                else
                {
                    autoremove = reader.GetBoolean();
                }
            }

            if (reader.TokenType != JsonTokenType.EndObject)
            {
                problem = "The request body is not a single JSON object.";
                return false;
            }

            if (reader.Read())
            {
                problem = "The request body has content after the JSON object.";
                return false;
            }
        }
        catch (JsonException ex)
        {
            problem = $"The request body is not valid JSON ({ex.Message})";
            return false;
        }

        if (dryRun is null)
        {
            problem = "The member 'dryRun' is missing.";
            return false;
        }

        request = new StartRequest(dryRun.Value, mode ?? UpgradeModes.Upgrade, autoremove ?? false);
        problem = string.Empty;
        return true;
    }

    /// <summary>
    /// The value of <c>mode</c>, the reader on it: <c>upgrade</c> or <c>full-upgrade</c>, nothing
    /// else. Shared with <c>POST /fleet/rollouts</c>, which reads the mode exactly as this does.
    /// </summary>
    public static bool TryReadMode(ref Utf8JsonReader reader, out string mode, out string problem)
    {
        mode = UpgradeModes.Upgrade;
        if (reader.TokenType != JsonTokenType.String)
        {
            problem = $"'mode' must be \"upgrade\" or \"full-upgrade\", not a JSON {Describe(reader.TokenType)}.";
            return false;
        }

        foreach (var known in UpgradeModes.All)
        {
            if (TextEquals(ref reader, known))
            {
                mode = known;
                problem = string.Empty;
                return true;
            }
        }

        problem = $"Unknown mode '{DescribeName(reader.ValueSpan)}': 'mode' is \"upgrade\" or \"full-upgrade\".";
        return false;
    }

    /// <summary>Whether the value the reader is on is <c>true</c> or <c>false</c>; the problem names <paramref name="member"/> if not.</summary>
    public static bool TryReadBoolean(ref Utf8JsonReader reader, string member, out string problem)
    {
        problem = reader.TokenType is JsonTokenType.True or JsonTokenType.False
            ? string.Empty
            : $"'{member}' must be true or false, not a JSON {Describe(reader.TokenType)}.";
        return problem.Length == 0;
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "object",
        JsonTokenType.StartArray => "array",
        JsonTokenType.String => "string",
        JsonTokenType.Number => "number",
        JsonTokenType.Null => "null",
        JsonTokenType.True or JsonTokenType.False => "boolean",
        _ => token.ToString(),
    };

    /// <summary>The member's name if it is one of ours (<c>dryRun</c>, <c>mode</c>, <c>autoremove</c>), else null.</summary>
    private static string? MemberOf(ref Utf8JsonReader reader) =>
        TextEquals(ref reader, "dryRun") ? "dryRun"
        : TextEquals(ref reader, "mode") ? "mode"
        : TextEquals(ref reader, "autoremove") ? "autoremove"
        : null;

    /// <summary>
    /// Whether the token's text, unescaped, is <paramref name="text"/>. An escaped lone surrogate
    /// (<c>"\ud800"</c>) makes the reader throw while unescaping: such a text is not text, so it
    /// is not ours either.
    /// </summary>
    private static bool TextEquals(ref Utf8JsonReader reader, string text)
    {
        try
        {
            return reader.ValueTextEquals(text);
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    // Echo at most a short prefix of a hostile name back (and into the audit log), never a
    // whole body, and never its control characters. The name is shown as sent, escapes and all:
    // decoding it would throw on invalid UTF-8 or on an escaped lone surrogate ("\ud800"), and
    // a client's typo must get a 400, not a 500. Invalid bytes show as U+FFFD.
    private static string DescribeName(ReadOnlySpan<byte> raw) =>
        Audit.LogSafe(Encoding.UTF8.GetString(raw[..Math.Min(raw.Length, 4 * MaxNameChars)]), MaxNameChars);

    private const int MaxNameChars = 40;
}

/// <summary>A valid <c>POST /upgrade</c> body, as read (the wire type for clients is <see cref="Contracts.UpgradeRequest"/>).</summary>
internal sealed record StartRequest(bool DryRun, string Mode, bool Autoremove);
