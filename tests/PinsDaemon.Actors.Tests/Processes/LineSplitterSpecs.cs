using System.Text;
using PinsDaemon.Actors.Jobs;
using PinsDaemon.Actors.Processes;
using PinsDaemon.Contracts;
using Xunit;

namespace PinsDaemon.Actors.Tests.Processes;

public sealed class LineSplitterSpecs
{
    private static List<string> Split(params byte[][] chunks)
    {
        var splitter = new LineSplitter(LogStream.Stdout);
        var lines = new List<OutputLine>();
        foreach (var chunk in chunks)
        {
            splitter.Append(chunk, lines);
        }

        splitter.Flush(lines);
        return lines.Select(l => l.Text).ToList();
    }

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public void Should_split_on_newlines_and_drop_the_CR_of_CRLF()
    {
        Assert.Equal(["a", "b", "", "c\rd"], Split(B("a\r\nb\n\nc\rd\n")));
    }

    [Fact]
    public void Should_join_a_line_that_arrives_in_pieces()
    {
        Assert.Equal(["hello world", "x"], Split(B("hel"), B("lo wo"), B("rld\nx\n")));
    }

    [Fact]
    public void Should_keep_a_final_line_without_newline()
    {
        Assert.Equal(["one", "tail"], Split(B("one\ntail")));
    }

    [Fact]
    public void Should_decode_invalid_utf8_as_replacement_characters()
    {
        Assert.Equal(["ok \uFFFD\uFFFD end", "é"], Split([.. B("ok "), 0xFF, 0xFE, .. B(" end\n"), 0xC3], [0xA9, (byte)'\n']));
    }

    [Fact]
    public void Should_split_a_line_longer_than_the_cap()
    {
        var text = new string('x', LineSplitter.MaxLineBytes * 2 + 10);
        var lines = Split(B(text + "\nnext\n"));
        Assert.Equal([LineSplitter.MaxLineBytes, LineSplitter.MaxLineBytes, 10, 4], lines.Select(l => l.Length));
    }

    [Fact]
    public void Should_not_cut_a_multibyte_character_when_splitting_a_long_line()
    {
        // 'é' is two bytes; an odd number of ASCII bytes first puts a character across the cap.
        var text = "a" + string.Concat(Enumerable.Repeat("é", LineSplitter.MaxLineBytes));
        var lines = Split(B(text + "\n"));
        Assert.DoesNotContain(lines, l => l.Contains('\uFFFD'));
        Assert.Equal(text, string.Concat(lines));
        Assert.All(lines, l => Assert.True(Encoding.UTF8.GetByteCount(l) <= LineSplitter.MaxLineBytes));
    }
}
