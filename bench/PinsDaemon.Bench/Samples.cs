namespace PinsDaemon.Bench;

/// <summary>One value per measure per run; ratios are taken run by run.</summary>
internal sealed class Samples
{
    private readonly Dictionary<string, SortedDictionary<int, double>> _values = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, SortedDictionary<int, double>> All => _values;

    public void Add(string key, int run, double value)
    {
        if (!_values.TryGetValue(key, out var runs))
        {
            _values[key] = runs = [];
        }

        runs[run] = value;
    }

    public IReadOnlyList<double> Values(string key) =>
        _values.TryGetValue(key, out var runs) ? runs.Values.ToList() : [];

    /// <summary>key / baseline for every run that has both.</summary>
    public IReadOnlyList<double> Ratios(string key, string baseline)
    {
        if (!_values.TryGetValue(key, out var runs) || !_values.TryGetValue(baseline, out var baselines))
        {
            return [];
        }

        return runs.Where(pair => baselines.TryGetValue(pair.Key, out var b) && b != 0)
            .Select(pair => pair.Value / baselines[pair.Key])
            .ToList();
    }
}

internal static class Stats
{
    public static double Median(IReadOnlyList<double> values) => Percentile(values, 50);

    /// <summary>Linear interpolation between closest ranks.</summary>
    public static double Percentile(IReadOnlyList<double> values, double percent)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToArray();
        var rank = percent / 100 * (sorted.Length - 1);
        var low = (int)Math.Floor(rank);
        var high = (int)Math.Ceiling(rank);
        return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
    }
}
