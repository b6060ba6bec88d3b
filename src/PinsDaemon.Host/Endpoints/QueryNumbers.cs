using System.Globalization;

namespace PinsDaemon.Host.Endpoints;

internal static class QueryNumbers
{
    /// <summary>
    /// A whole number from the query string within [min, max], or <paramref name="fallback"/> when
    /// absent. Signs, spaces, repeats and anything else make it invalid.
    /// </summary>
    public static bool TryGet(IQueryCollection query, string name, long fallback, long min, long max, out long value)
    {
        var values = query[name];
        value = fallback;
        if (values.Count == 0)
        {
            return true;
        }

        return values.Count == 1
            && long.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out value)
            && value >= min
            && value <= max;
    }
}
