using System.Text;
using PinsDaemon.Actors.Processes;
using PinsDaemon.Actors.Runs;
using PinsDaemon.Actors.Tests.TestSupport;
using PinsDaemon.Contracts;
using Xunit;

namespace PinsDaemon.Actors.Tests.Runs;

public sealed class FileLineReaderSpecs : IDisposable
{
    private readonly TempDirectory _directory = new();

    private string File1 => Path.Combine(_directory.Path, "run.out");

    public void Dispose() => _directory.Dispose();

    /// <summary>Writes the chunks one after another, reading after each, then reads the rest as a run that ended.</summary>
    private List<string> Read(params byte[][] chunks)
    {
        using var reader = new FileLineReader(File1, LogStream.Stdout, 0);
        var lines = new List<OutputLine>();
        foreach (var chunk in chunks)
        {
            using (var file = new FileStream(File1, FileMode.Append))
            {
                file.Write(chunk);
            }

            while (reader.Read(lines))
            {
            }
        }

        while (reader.Read(lines, final: true))
        {
        }

        return lines.Select(l => l.Text).ToList();
    }

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public void Should_split_on_newlines_and_drop_the_CR_of_CRLF()
    {
        Assert.Equal(["a", "b", "", "c\rd"], Read(B("a\r\nb\n\nc\rd\n")));
    }

    [Fact]
    public void Should_hand_out_a_burst_of_short_lines_in_batches_of_at_most_the_cap_and_lose_none()
    {
        var count = 3 * FileLineReader.MaxBatchLines + 7;
        File.WriteAllText(File1, string.Concat(Enumerable.Range(1, count).Select(n => $"{n}\n")) + "tail");
        using var reader = new FileLineReader(File1, LogStream.Stdout, 0);
        var all = new List<string>();
        var batch = new List<OutputLine>();
        while (reader.Read(batch, final: true))
        {
            Assert.InRange(batch.Count, 0, FileLineReader.MaxBatchLines);
            all.AddRange(batch.Select(l => l.Text));
            batch.Clear();
        }

        all.AddRange(batch.Select(l => l.Text));
        Assert.Equal([.. Enumerable.Range(1, count).Select(n => n.ToString()), "tail"], all);
    }

    [Fact]
    public void Should_take_a_line_only_once_its_newline_is_written()
    {
        Assert.Equal(["hello world", "x"], Read(B("hel"), B("lo wo"), B("rld\nx\n")));
    }

    [Fact]
    public void Should_keep_a_final_line_without_newline_once_the_run_ended()
    {
        Assert.Equal(["one", "tail"], Read(B("one\ntail")));
        using var reader = new FileLineReader(File1, LogStream.Stdout, 0);
        var lines = new List<OutputLine>();
        while (reader.Read(lines))
        {
        }

        Assert.Equal(["one"], lines.Select(l => l.Text));
        Assert.Equal(4, reader.Position);
    }

    [Fact]
    public void Should_decode_invalid_utf8_as_replacement_characters()
    {
        Assert.Equal(["ok \uFFFD\uFFFD end", "é"], Read([.. B("ok "), 0xFF, 0xFE, .. B(" end\n"), 0xC3], [0xA9, (byte)'\n']));
    }

    [Fact]
    public void Should_split_a_line_longer_than_the_cap()
    {
        var text = new string('x', FileLineReader.MaxLineBytes * 2 + 10);
        var lines = Read(B(text + "\nnext\n"));
        Assert.Equal([FileLineReader.MaxLineBytes, FileLineReader.MaxLineBytes, 10, 4], lines.Select(l => l.Length));
    }

    [Fact]
    public void Should_not_cut_a_multibyte_character_when_splitting_a_long_line()
    {
        // 'é' is two bytes; an odd number of ASCII bytes first puts a character across the cap.
        var text = "a" + string.Concat(Enumerable.Repeat("é", FileLineReader.MaxLineBytes));
        var lines = Read(B(text + "\n"));
        Assert.DoesNotContain(lines, l => l.Contains('\uFFFD'));
        Assert.Equal(text, string.Concat(lines));
        Assert.All(lines, l => Assert.True(Encoding.UTF8.GetByteCount(l) <= FileLineReader.MaxLineBytes));
    }

    [Fact]
    public void Should_give_the_same_lines_when_read_again_from_a_saved_position()
    {
        var text = string.Concat(Enumerable.Range(1, 2000).Select(n => $"line {n} {new string('y', n % 97)}\n")) + new string('z', FileLineReader.MaxLineBytes + 5) + "\nlast\n";
        File.WriteAllBytes(File1, B(text));
        var whole = new List<OutputLine>();
        using (var reader = new FileLineReader(File1, LogStream.Stdout, 0))
        {
            while (reader.Read(whole, final: true))
            {
            }
        }

        // Stop after the first read, as a daemon that crashed would, and go on from the position.
        var first = new List<OutputLine>();
        long saved;
        using (var reader = new FileLineReader(File1, LogStream.Stdout, 0))
        {
            reader.Read(first);
            saved = reader.Position;
        }

        var rest = new List<OutputLine>();
        using (var reader = new FileLineReader(File1, LogStream.Stdout, saved))
        {
            while (reader.Read(rest, final: true))
            {
            }
        }

        Assert.Equal(whole.Select(l => l.Text), first.Concat(rest).Select(l => l.Text));
    }

    [Fact]
    public void Should_wait_for_a_file_that_does_not_exist_yet()
    {
        using var reader = new FileLineReader(File1, LogStream.Stderr, 0);
        var lines = new List<OutputLine>();
        Assert.False(reader.Read(lines));
        File.WriteAllText(File1, "late\n");
        Assert.True(reader.Read(lines));
        Assert.Equal(new OutputLine(LogStream.Stderr, "late"), lines.Single());
    }
}
