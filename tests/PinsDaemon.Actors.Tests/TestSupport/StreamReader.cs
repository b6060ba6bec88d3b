using PinsDaemon.Actors.Streaming;

namespace PinsDaemon.Actors.Tests.TestSupport;

/// <summary>Reads a <see cref="LogStreamBuffer"/> as a connection's send loop would.</summary>
public static class StreamDrain
{
    public static async Task<(List<LogLine> Lines, StreamProtocol.LogEnd? End, LogStreamClosedReason? Closed)> ReadToEndAsync(
        LogStreamBuffer buffer,
        TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
        var lines = new List<LogLine>();
        await foreach (var batch in buffer.Reader.ReadAllAsync(cts.Token))
        {
            lines.AddRange(batch.Lines);
            buffer.Consumed(batch);
        }

        return (lines, buffer.End, buffer.ClosedReason);
    }

    public static void AssertComplete(IReadOnlyList<LogLine> lines, long expectedCount, long after = 0)
    {
        Xunit.Assert.Equal(expectedCount - after, lines.Count);
        for (var i = 0; i < lines.Count; i++)
        {
            Xunit.Assert.Equal(after + i + 1, lines[i].Seq);
        }
    }
}
