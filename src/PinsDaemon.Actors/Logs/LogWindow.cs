using PinsDaemon.Actors.Streaming;

namespace PinsDaemon.Actors.Logs;

/// <summary>
/// The most recent lines of a job, bounded by count and by size; older lines are read back from
/// the stored log. Owned by one actor: not thread-safe.
/// </summary>
internal sealed class LogWindow(int maxLines, long maxWeight)
{
    private readonly Queue<LogLine> _lines = new();
    private long _weight;

    /// <summary>The seq of the oldest line held, or 0 when empty.</summary>
    public long FirstSeq => _lines.Count == 0 ? 0 : _lines.Peek().Seq;

    public int Count => _lines.Count;

    public long Weight => _weight;

    public void Add(LogLine line)
    {
        _lines.Enqueue(line);
        _weight += line.Weight;
        while (_lines.Count > 1 && (_lines.Count > maxLines || _weight > maxWeight))
        {
            _weight -= _lines.Dequeue().Weight;
        }
    }

    /// <summary>True when the line after <paramref name="after"/> is held here.</summary>
    public bool Holds(long after) => _lines.Count > 0 && after + 1 >= FirstSeq;

    /// <summary>
    /// Up to <paramref name="max"/> lines with seq greater than <paramref name="after"/> (or from
    /// the oldest held), and none past <paramref name="through"/>.
    /// </summary>
    public LogLine[] After(long after, int max, long through = long.MaxValue)
    {
        var skip = (int)Math.Clamp(after + 1 - FirstSeq, 0, _lines.Count);
        return _lines.Skip(skip).Take(max).TakeWhile(line => line.Seq <= through).ToArray();
    }

    public void Clear()
    {
        _lines.Clear();
        _weight = 0;
    }
}
