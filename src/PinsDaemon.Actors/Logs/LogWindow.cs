using PinsDaemon.Actors.Streaming;

namespace PinsDaemon.Actors.Logs;

/// <summary>
/// The most recent lines of a job, bounded by count and by size; older lines are read back from
/// the stored log. Owned by one actor: not thread-safe.
/// </summary>
/// <remarks>
/// A ring of consecutive lines, so a replay finds its first line by index instead of walking
/// past every older line held (up to 65536 of them, for each batch of each subscriber).
/// </remarks>
internal sealed class LogWindow(int maxLines, long maxWeight)
{
    private LogLine[] _ring = new LogLine[Math.Min(maxLines, 1024)];
    private int _head;
    private int _count;
    private long _weight;

    /// <summary>The seq of the oldest line held, or 0 when empty.</summary>
    public long FirstSeq => _count == 0 ? 0 : _ring[_head].Seq;

    public int Count => _count;

    public long Weight => _weight;

    /// <summary>Adds the line after the last one held (seq one higher).</summary>
    public void Add(LogLine line)
    {
        if (_count == _ring.Length && _ring.Length < maxLines)
        {
            Grow();
        }

        if (_count == _ring.Length)
        {
            Drop();
        }

        _ring[(_head + _count) % _ring.Length] = line;
        _count++;
        _weight += line.Weight;
        while (_count > 1 && _weight > maxWeight)
        {
            Drop();
        }
    }

    /// <summary>True when the line after <paramref name="after"/> is held here.</summary>
    public bool Holds(long after) => _count > 0 && after + 1 >= FirstSeq;

    /// <summary>
    /// Up to <paramref name="max"/> lines with seq greater than <paramref name="after"/> (or from
    /// the oldest held), none past <paramref name="through"/>, and no more than
    /// <paramref name="maxBytes"/> of frames (the first line always, whatever its size).
    /// </summary>
    public LogLine[] After(long after, long through, int max, long maxBytes)
    {
        var skip = (int)Math.Clamp(after + 1 - FirstSeq, 0, _count);
        var lines = new List<LogLine>(Math.Min(max, _count - skip));
        long bytes = 0;
        for (var i = skip; i < _count && lines.Count < max; i++)
        {
            var line = _ring[(_head + i) % _ring.Length];
            if (line.Seq > through)
            {
                break;
            }

            bytes += line.Frame.Length + 1;
            if (lines.Count > 0 && bytes > maxBytes)
            {
                break;
            }

            lines.Add(line);
        }

        return lines.ToArray();
    }

    public void Clear()
    {
        _ring = new LogLine[Math.Min(maxLines, 1024)];
        _head = 0;
        _count = 0;
        _weight = 0;
    }

    private void Grow()
    {
        var larger = new LogLine[Math.Min(maxLines, _ring.Length * 2)];
        for (var i = 0; i < _count; i++)
        {
            larger[i] = _ring[(_head + i) % _ring.Length];
        }

        _ring = larger;
        _head = 0;
    }

    private void Drop()
    {
        _weight -= _ring[_head].Weight;
        _ring[_head] = null!;
        _head = (_head + 1) % _ring.Length;
        _count--;
    }
}
