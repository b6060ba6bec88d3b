using PinsDaemon.Actors.Streaming;
using PinsDaemon.Contracts;

namespace PinsDaemon.Actors.Processes;

/// <summary>A line read from a process, before the job numbers it.</summary>
public readonly record struct OutputLine(LogStream Stream, string Text)
{
    /// <summary>The same measure as <see cref="LogLine.Weight"/>: what the line costs in memory.</summary>
    public long Weight => LogLine.WeightOf(Text);

    public static long WeightOf(IReadOnlyList<OutputLine> lines)
    {
        // By index: a foreach over the interface would allocate an enumerator per batch and
        // make an interface call per line, on every batch of a run.
        long weight = 0;
        for (var i = 0; i < lines.Count; i++)
        {
            weight += lines[i].Weight;
        }

        return weight;
    }
}
