using PinsDaemon.Actors.Logs;
using PinsDaemon.Actors.Streaming;
using PinsDaemon.Contracts;
using Xunit;

namespace PinsDaemon.Actors.Tests.Logs;

public sealed class ReplayCacheSpecs
{
    private static LogLine[] Lines(long from, int count) =>
        [.. Enumerable.Range(0, count).Select(i => new LogLine(from + i, LogStream.Stdout, DateTimeOffset.UnixEpoch, $"line {from + i:D6}"))];

    [Fact]
    public void Should_serve_the_lines_after_a_seq_from_the_batch_that_holds_the_next_one_without_copying_them()
    {
        var cache = new ReplayCache(maxWeight: 1024 * 1024);
        var first = Lines(1, 100);
        var second = Lines(101, 100);
        cache.Add(first);
        cache.Add(second);

        var fromStart = cache.After(0, 1000, long.MaxValue)!;
        Assert.Equal(100, fromStart.Count);
        Assert.Same(first[0], fromStart[0]);

        var middle = cache.After(149, 1000, long.MaxValue)!;
        Assert.Equal(Enumerable.Range(150, 51).Select(n => (long)n), middle.Select(l => l.Seq));
        Assert.Same(second[49], middle[0]);

        Assert.Equal(10, cache.After(0, 10, long.MaxValue)!.Count);
        Assert.Single(cache.After(0, 1000, maxBytes: 1)!);
        Assert.Null(cache.After(200, 1000, long.MaxValue));
    }

    [Fact]
    public void Should_not_serve_a_batch_that_starts_after_the_next_line()
    {
        var cache = new ReplayCache(maxWeight: 1024 * 1024);
        cache.Add(Lines(101, 100));
        Assert.Null(cache.After(50, 1000, long.MaxValue));
        Assert.Equal(101, cache.After(100, 1000, long.MaxValue)![0].Seq);
    }

    [Fact]
    public void Should_drop_the_oldest_batches_past_its_weight()
    {
        var batch = Lines(1, 100);
        var weight = batch.Sum(l => (long)l.Weight);
        var cache = new ReplayCache(maxWeight: weight * 2);
        cache.Add(batch);
        cache.Add(Lines(101, 100));
        cache.Add(Lines(201, 100));

        Assert.Equal(2, cache.Count);
        Assert.True(cache.Weight <= weight * 2);
        Assert.Null(cache.After(0, 1000, long.MaxValue));
        Assert.Equal(101, cache.After(100, 1000, long.MaxValue)![0].Seq);

        cache.Clear();
        Assert.Equal(0, cache.Weight);
        Assert.Null(cache.After(100, 1000, long.MaxValue));
    }
}
