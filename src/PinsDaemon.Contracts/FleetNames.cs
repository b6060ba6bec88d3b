using System.Globalization;
using System.Text.RegularExpressions;

namespace PinsDaemon.Contracts;

/// <summary>A fleet node's name (<c>Fleet:NodeName</c>): how rollouts, their logs and <c>?after=</c> name a host.</summary>
public static partial class FleetNames
{
    /// <summary>1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit (a DNS label, nearly).</summary>
    public const string Pattern = "^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$";

    public const string Rule = "1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit";

    public static bool IsValid(string? name) => name is not null && Name().IsMatch(name);

    [GeneratedRegex(Pattern)]
    private static partial Regex Name();
}

/// <summary>
/// Where a reader of a rollout's merged log is, per host: the <c>?after=</c> of
/// <c>/fleet/rollouts/{id}/logs</c>, <c>host:seq</c> pairs separated by commas (or in repeated
/// <c>after</c> values), each host at most once. The server sends each host's lines after its seq.
/// </summary>
public static class FleetLogPositions
{
    public static string Format(IReadOnlyDictionary<string, long> lastSeq) =>
        string.Join(",", lastSeq.Where(pair => pair.Value > 0).OrderBy(pair => pair.Key, StringComparer.Ordinal).Select(pair => string.Create(CultureInfo.InvariantCulture, $"{pair.Key}:{pair.Value}")));

    /// <summary>Reads the values of <c>after</c>; false for anything that is not host:seq pairs of at most <see cref="RolloutRequest.MaxHosts"/> hosts.</summary>
    public static bool TryParse(IEnumerable<string?> values, out Dictionary<string, long> after)
    {
        after = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            foreach (var pair in (value ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                var colon = pair.LastIndexOf(':');
                if (colon <= 0
                    || !FleetNames.IsValid(pair[..colon])
                    || !long.TryParse(pair.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var seq)
                    || !after.TryAdd(pair[..colon], seq)
                    || after.Count > RolloutRequest.MaxHosts)
                {
                    return false;
                }
            }
        }

        return true;
    }
}
