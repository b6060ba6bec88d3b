using System.Diagnostics.CodeAnalysis;

namespace PinsDaemon.Contracts;

/// <summary>
/// The identity of one upgrade run. Ids are minted by the daemon only; text from a request
/// becomes a <see cref="JobId"/> through <see cref="TryParse"/>, which accepts nothing but a
/// canonical GUID, so an id can later name a file without being a path.
/// </summary>
[System.Text.Json.Serialization.JsonConverter(typeof(JobIdJsonConverter))]
public readonly record struct JobId(Guid Value)
{
    /// <summary>The canonical text form: 36 characters, lower-case hex, dashes.</summary>
    public const int TextLength = 36;

    public static JobId New() => new(Guid.NewGuid());

    /// <summary>Accepts exactly the canonical <c>D</c> form (with or without upper-case hex).</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out JobId id)
    {
        if (text is { Length: TextLength } && Guid.TryParseExact(text, "D", out var guid) && guid != Guid.Empty)
        {
            id = new JobId(guid);
            return true;
        }

        id = default;
        return false;
    }

    public override string ToString() => Value.ToString("D");
}
