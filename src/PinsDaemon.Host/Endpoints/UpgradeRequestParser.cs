using System.Text;
using System.Text.Json;

namespace PinsDaemon.Host.Endpoints;

/// <summary>
/// Reads the body of <c>POST /upgrade</c> strictly: exactly <c>{"dryRun": true|false}</c>.
/// A lenient reader would turn a typo such as <c>{"dryrun": true}</c> into a real upgrade.
/// </summary>
internal static class UpgradeRequestParser
{
    public const string Expected = "Send a JSON object with one member, a boolean: {\"dryRun\": true} or {\"dryRun\": false}.";

    public static bool TryParse(ReadOnlySpan<byte> body, out bool dryRun, out string problem)
    {
        dryRun = false;
        if (body.Trim(" \t\r\n"u8).IsEmpty)
        {
            problem = "The request body is empty.";
            return false;
        }

        // AllowMultipleValues only so that trailing content gets a clear message of its own below.
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 4, AllowMultipleValues = true });
        bool? value = null;
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
                if (!IsDryRun(ref reader))
                {
                    problem = $"Unknown member '{DescribeName(reader.ValueSpan)}'.";
                    return false;
                }

                if (value is not null)
                {
                    problem = "The member 'dryRun' appears twice.";
                    return false;
                }

                reader.Read();
                if (reader.TokenType is not (JsonTokenType.True or JsonTokenType.False))
                {
                    problem = $"'dryRun' must be true or false, not a JSON {Describe(reader.TokenType)}.";
                    return false;
                }

                value = reader.GetBoolean();
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

        if (value is null)
        {
            problem = "The member 'dryRun' is missing.";
            return false;
        }

        dryRun = value.Value;
        problem = string.Empty;
        return true;
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

    /// <summary>
    /// Whether the member name, unescaped, is <c>dryRun</c>. An escaped lone surrogate
    /// (<c>"\ud800"</c>) makes the reader throw while unescaping: such a name is not text, so
    /// it is not ours either.
    /// </summary>
    private static bool IsDryRun(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.ValueTextEquals("dryRun"u8);
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
