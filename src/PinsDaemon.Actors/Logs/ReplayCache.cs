using PinsDaemon.Actors.Streaming;

namespace PinsDaemon.Actors.Logs;

/// <summary>
/// The last batches a job's log read back from disk, shared by every subscriber that asks for
/// the same lines. Subscribers that connect together (a page reload, a fleet of watchers, the
/// bench's 50) replay the same stored lines at about the same pace: without this each one read
/// and kept its own copy of every line, fifty copies of a long log passing through the heap.
/// Bounded by weight; the oldest batch goes first. Owned by one actor: not thread-safe.
/// </summary>
internal sealed class ReplayCache(long maxWeight)
{
    private readonly LinkedList<LogLine[]> _batches = new();
    private long _weight;

    public long Weight => _weight;

    public int Count => _batches.Count;

    /// <summary>Keeps <paramref name="lines"/> (consecutive stored lines, published), dropping the oldest batches past the bound.</summary>
    public void Add(LogLine[] lines)
    {
        if (lines.Length == 0)
        {
            return;
        }

        long weight = 0;
        foreach (var line in lines)
        {
            weight += line.Weight;
        }

        if (weight > maxWeight)
        {
            return;
        }

        _batches.AddLast(lines);
        _weight += weight;
        while (_weight > maxWeight && _batches.First is { } oldest)
        {
            _batches.RemoveFirst();
            foreach (var line in oldest.Value)
            {
                _weight -= line.Weight;
            }
        }
    }

    /// <summary>
    /// The cached lines that follow <paramref name="after"/>, from the one batch that holds
    /// the next line, within the same limits as a read (<paramref name="max"/> lines,
    /// <paramref name="maxBytes"/> of frames, the first line always); null when no batch holds it.
    /// </summary>
    public IReadOnlyList<LogLine>? After(long after, int max, long maxBytes)
    {
        for (var node = _batches.Last; node is not null; node = node.Previous)
        {
            var lines = node.Value;
            if (lines[0].Seq > after + 1 || lines[^1].Seq <= after)
            {
                continue;
            }

            // The batch starts at or before the next line, so nothing between is missed; stored
            // lines are consecutive unless a damaged one was skipped: index, then check.
            var start = (int)(after + 1 - lines[0].Seq);
            if (start >= lines.Length || lines[start].Seq != after + 1)
            {
                start = Array.FindIndex(lines, line => line.Seq > after);
            }

            var end = start;
            long bytes = 0;
            while (end < lines.Length && end - start < max)
            {
                bytes += lines[end].Frame.Length + 1;
                if (end > start && bytes > maxBytes)
                {
                    break;
                }

                end++;
            }

            return new ArraySegment<LogLine>(lines, start, end - start);
        }

        return null;
    }

    public void Clear()
    {
        _batches.Clear();
        _weight = 0;
    }
}
