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
        long weight = 0;
        foreach (var line in lines)
        {
            weight += line.Weight;
        }

        return weight;
    }
}
