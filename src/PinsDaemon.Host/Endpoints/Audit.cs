using PinsDaemon.Contracts;

namespace PinsDaemon.Host.Endpoints;

/// <summary>The audit trail: every attempt to start or cancel a job, in the log category operators filter on.</summary>
internal static class Audit
{
    public const string Category = "PinsDaemon.Audit";

    /// <summary>The client's address as the audit records it: never a header value, never a credential.</summary>
    public static string Client(HttpContext context) =>
        context.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    /// <summary>
    /// Text a client chose (a path, a JSON member name), made safe for one log line: control
    /// characters, which a decoded <c>%0A</c> can put in a path, would let a client forge lines
    /// of its own, so they are shown the way served output shows them
    /// (<see cref="ControlCharacters"/>), and the length is capped.
    /// </summary>
    public static string LogSafe(string? text, int maxLength = 200)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        var safe = ControlCharacters.Neutralize(text.Length > maxLength ? text[..maxLength] : text);
        return text.Length > maxLength ? safe + "…" : safe;
    }
}
