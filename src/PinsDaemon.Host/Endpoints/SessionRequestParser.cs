using System.Text.Json;

namespace PinsDaemon.Host.Endpoints;

/// <summary>
/// Reads the body of <c>POST /session</c> strictly: exactly <c>{"token": "…"}</c>. Its problems
/// never quote the body: a token pasted in the wrong place must not come back in an answer.
/// </summary>
internal static class SessionRequestParser
{
    public const string Expected = "Send a JSON object with one member, a string: {\"token\": \"<the daemon's token>\"}.";

    public static bool TryParse(ReadOnlySpan<byte> body, out string token, out string problem)
    {
        token = string.Empty;
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 4 });
        string? value = null;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                problem = "The request body is not a JSON object.";
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (!reader.ValueTextEquals("token"u8))
                {
                    problem = "The body has a member other than 'token'.";
                    return false;
                }

                if (value is not null)
                {
                    problem = "The member 'token' appears twice.";
                    return false;
                }

                reader.Read();
                if (reader.TokenType != JsonTokenType.String)
                {
                    problem = "'token' must be a string.";
                    return false;
                }

                value = reader.GetString();
            }

            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                problem = "The request body is not a single JSON object.";
                return false;
            }
        }
        catch (JsonException)
        {
            problem = "The request body is not valid JSON.";
            return false;
        }

        if (string.IsNullOrEmpty(value))
        {
            problem = "The member 'token' is missing or empty.";
            return false;
        }

        token = value;
        problem = string.Empty;
        return true;
    }
}
