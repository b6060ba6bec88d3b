using System.Buffers;
using System.Text.Json;
using PinsDaemon.Actors.Streaming;
using PinsDaemon.Contracts;
using Xunit;

namespace PinsDaemon.Actors.Tests.Streaming;

/// <summary>
/// A line frame is rendered by hand for speed where the text needs no escaping; it must be the
/// frame <see cref="Utf8JsonWriter"/> writes, byte for byte, whatever the text.
/// </summary>
public sealed class LogFramesSpecs
{
    private static readonly DateTimeOffset[] Times =
    [
        new(2026, 11, 30, 7, 3, 1, TimeSpan.Zero),
        new DateTimeOffset(2026, 11, 30, 7, 3, 1, TimeSpan.Zero).AddTicks(1234567),
        new DateTimeOffset(2026, 11, 30, 7, 3, 1, TimeSpan.FromHours(2)).AddTicks(1200000),
    ];

    private static byte[] Reference(long seq, LogStream stream, DateTimeOffset time, string text)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, LogFrames.WriterOptions))
        {
            LogFrames.WriteLine(writer, seq, stream, time, text);
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static TheoryData<string> Texts() =>
    [
        string.Empty,
        "Reading package lists...",
        "Get:1 http://deb.debian.org/debian bookworm/main amd64 zip amd64 3.0-13 [230 kB]",
        "quote \" backslash \\ slash / tab \t end",
        "<html> & 'apostrophes' + `backticks`",
        "Paketlisten werden gelesen… Fertig — größer",
        "中文输出 日本語 한국어",
        "control pictures ␛[31m ␇ ␍ ␡ and U+FFFD \uFFFD",
        "line separators \u2028 \u2029 and NEL \u0085",
        "emoji 🚀 outside the BMP",
        "lone surrogate \uD800 here",
        new string('x', 64 * 1024),
    ];

    [Theory]
    [MemberData(nameof(Texts))]
    public void Should_render_a_line_as_the_json_writer_does(string text)
    {
        foreach (var time in Times)
        {
            foreach (var seq in new long[] { 1, 9, 10, 99_999, 100_000, long.MaxValue })
            {
                foreach (var stream in new[] { LogStream.Stdout, LogStream.Stderr })
                {
                    Assert.Equal(Reference(seq, stream, time, text), LogFrames.Line(seq, stream, time, text));
                }
            }
        }
    }

    [Fact]
    public void Should_render_every_character_of_the_basic_plane_as_the_json_writer_does()
    {
        var time = Times[1];
        for (var c = 0; c <= 0xFFFF; c++)
        {
            var text = $"a{(char)c}b";
            var expected = Reference(c + 1L, LogStream.Stdout, time, text);
            var actual = LogFrames.Line(c + 1L, LogStream.Stdout, time, text);
            Assert.True(expected.AsSpan().SequenceEqual(actual), $"U+{c:X4}: {System.Text.Encoding.UTF8.GetString(actual)}");
        }
    }

    [Fact]
    public void Should_parse_back_a_rendered_line_from_its_stored_frame()
    {
        var frame = LogFrames.Line(42, LogStream.Stderr, Times[2], "E: \"zip\" failed");
        Assert.True(LogLine.TryParseFrame(frame, out var line));
        Assert.Equal(42, line.Seq);
        Assert.Equal(LogStream.Stderr, line.Stream);
        Assert.Equal(Times[2], line.Time);
        Assert.Equal("E: \"zip\" failed", line.Text);
    }
}
