using PinsDaemon.Actors.Streaming;
using PinsDaemon.Contracts;
using Xunit;

namespace PinsDaemon.Actors.Tests.Streaming;

/// <summary>Alone: it measures the heap, which tests running beside it would move.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
[Collection(Name)]
public sealed class LogLineSpecs
{
    internal const string Name = "heap measures";

    private static readonly DateTimeOffset Time = new(2026, 11, 30, 14, 2, 42, 825, TimeSpan.Zero);

    [Theory]
    [InlineData("1")]
    [InlineData("Get:17 http://deb.debian.org/debian bookworm/main arm64 libc6 arm64 2.36-9+deb12u9 [2,321 kB]")]
    [InlineData("Paramétrage de libc6:arm64 (2.36-9+deb12u9) … «ünïcödé»")]
    public void Should_weigh_at_least_what_it_holds_before_and_after_its_frame_is_rendered(string text)
    {
        // What the window, the buffers and the output gate are bounded by must not undercount.
        const int count = 20_000;
        var lines = new LogLine[count];
        var before = GC.GetTotalMemory(forceFullCollection: true);
        for (var i = 0; i < count; i++)
        {
            // A text of its own per line, as output has.
            lines[i] = new LogLine(100_000 + i, LogStream.Stdout, Time, string.Concat(text, "."));
        }

        var held = GC.GetTotalMemory(forceFullCollection: true) - before;
        foreach (var line in lines)
        {
            _ = line.Frame;
        }

        var rendered = GC.GetTotalMemory(forceFullCollection: true) - before;
        var weight = lines.Sum(line => (long)line.Weight);
        Assert.True(held <= weight, $"{count} new lines hold {held} bytes and weigh {weight}");
        Assert.True(rendered <= weight, $"{count} rendered lines hold {rendered} bytes and weigh {weight}");
        // The frame (24 bytes + over 96) replaces the fields (48 bytes) and the text (24 + 2 per
        // char): kept beside it, the fields would add the whole frame.
        Assert.True(rendered - held <= count * 64L, $"rendered lines hold {rendered} bytes, {held} before: the fields were not let go");
        GC.KeepAlive(lines);
    }

    [Fact]
    public void Should_answer_its_fields_from_its_frame_once_rendered()
    {
        var line = new LogLine(7, LogStream.Stderr, Time, "dpkg: error processing package x");
        var frame = line.Frame.ToArray();

        Assert.Equal("dpkg: error processing package x", line.Text);
        Assert.Equal(LogStream.Stderr, line.Stream);
        Assert.Equal(Time, line.Time);
        var (stream, time, text) = line;
        Assert.Equal((LogStream.Stderr, Time, "dpkg: error processing package x"), (stream, time, text));
        Assert.Equal(frame, line.Frame.ToArray());

        Assert.True(LogLine.TryParseFrame(frame, out var stored));
        Assert.Equal((7L, "dpkg: error processing package x"), (stored.Seq, stored.Text));
    }
}
