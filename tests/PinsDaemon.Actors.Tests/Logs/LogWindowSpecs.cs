using PinsDaemon.Actors.Logs;
using PinsDaemon.Actors.Streaming;
using PinsDaemon.Contracts;
using Xunit;

namespace PinsDaemon.Actors.Tests.Jobs;

public sealed class LogWindowSpecs
{
    private static LogLine Line(long seq, int length = 10) => new(seq, LogStream.Stdout, DateTimeOffset.UnixEpoch, new string('x', length));

    [Fact]
    public void Should_keep_only_the_newest_lines_within_its_size()
    {
        const long maxWeight = 64 * 1024;
        var window = new LogWindow(maxLines: 1_000_000, maxWeight);
        for (var seq = 1; seq <= 100_000; seq++)
        {
            window.Add(Line(seq));
        }

        Assert.True(window.Weight <= maxWeight, $"holds {window.Weight}");
        Assert.Equal(maxWeight / Line(1).Weight, window.Count);
        Assert.Equal(100_000 - window.Count + 1, window.FirstSeq);
        Assert.False(window.Holds(window.FirstSeq - 2));
        Assert.True(window.Holds(window.FirstSeq - 1));
        Assert.Equal([99_999L, 100_000], window.After(99_998, long.MaxValue, 10, long.MaxValue).Select(l => l.Seq));
    }

    [Fact]
    public void Should_keep_the_newest_line_even_when_it_alone_is_over_the_size()
    {
        var window = new LogWindow(maxLines: 10, maxWeight: 100);
        window.Add(Line(1));
        window.Add(Line(2, length: 1000));
        Assert.Equal(1, window.Count);
        Assert.Equal(2, window.FirstSeq);
    }

    [Fact]
    public void Should_end_a_read_at_its_byte_budget_but_always_give_the_first_line()
    {
        var window = new LogWindow(maxLines: 100, maxWeight: long.MaxValue);
        for (var seq = 1; seq <= 10; seq++)
        {
            window.Add(Line(seq, length: 1000));
        }

        var frame = window.After(0, long.MaxValue, 1, long.MaxValue)[0].Frame.Length;
        Assert.Equal([4L, 5, 6], window.After(3, long.MaxValue, 100, 3 * frame + frame / 2).Select(l => l.Seq));
        Assert.Equal([4L], window.After(3, long.MaxValue, 100, 1).Select(l => l.Seq));
        Assert.Equal([4L, 5], window.After(3, 5, 100, long.MaxValue).Select(l => l.Seq));
    }

    [Fact]
    public void Should_find_lines_by_seq_after_the_ring_wrapped()
    {
        var window = new LogWindow(maxLines: 3000, maxWeight: long.MaxValue);
        for (var seq = 1; seq <= 10_000; seq++)
        {
            window.Add(Line(seq));
        }

        Assert.Equal(3000, window.Count);
        Assert.Equal(7001, window.FirstSeq);
        Assert.Equal([9000L, 9001, 9002], window.After(8999, long.MaxValue, 3, long.MaxValue).Select(l => l.Seq));
        Assert.Equal([7001L], window.After(0, long.MaxValue, 1, long.MaxValue).Select(l => l.Seq));
    }
}
