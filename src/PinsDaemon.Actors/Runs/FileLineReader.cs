using System.Buffers;
using System.Text;
using PinsDaemon.Actors.Processes;
using PinsDaemon.Contracts;

namespace PinsDaemon.Actors.Runs;

/// <summary>
/// Reads whole lines from a file another process appends to, from a byte offset. A line is
/// taken only once its newline is there (or the run has ended), so <see cref="Position"/> is
/// always the start of a line not yet taken. Invalid UTF-8 decodes to U+FFFD, a CR before the
/// LF is dropped, and a line longer than <see cref="MaxLineBytes"/> is cut into pieces at the
/// same places on every read, so reading again from a saved position gives the same lines.
/// Not thread-safe: one reader per file, used by one task.
/// </summary>
public sealed class FileLineReader(string path, LogStream stream, long position, long limit = long.MaxValue) : IDisposable
{
    /// <summary>
    /// 64 KiB: far above any line apt or dpkg prints, and low enough that one runaway line
    /// (a binary dumped to the terminal, say) cannot make a single log entry huge.
    /// </summary>
    public const int MaxLineBytes = 64 * 1024;

    /// <summary>One read at a time; 64 KiB keeps a burst of short lines in one batch.</summary>
    private const int ReadBytes = 64 * 1024;

    /// <summary>
    /// Lines handed out per read: 64 KiB of short lines is over ten thousand, and a batch that
    /// large makes every array that carries it (the lines, the job's copy, the log's) a large
    /// object, each of which counts towards a full, blocking collection: with 64 KiB batches a
    /// 100k-line job cost one 30 ms gen2 pause (bench/). 2048 keeps them all small.
    /// </summary>
    public const int MaxBatchLines = 2048;

    private const int BufferBytes = MaxLineBytes + ReadBytes;

    // A non-throwing decoder: bytes that are not UTF-8 become U+FFFD instead of failing the job.
    private static readonly Encoding Utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    // Pooled: a new 128 KiB buffer per reader, three readers per run, would be large objects too.
    private byte[]? _buffer = ArrayPool<byte>.Shared.Rent(BufferBytes);
    private FileStream? _file;
    private int _filled;

    /// <summary>The offset of the first byte not yet taken as part of a line.</summary>
    public long Position { get; private set; } = position;

    /// <summary>
    /// Reads what the file has now (one read) and appends its whole lines to
    /// <paramref name="lines"/>, at most <see cref="MaxBatchLines"/> of them (the rest wait for
    /// the next call). With <paramref name="final"/> (the run has ended), a last line without a
    /// newline is taken too. Returns false when nothing new was there.
    /// </summary>
    public bool Read(List<OutputLine> lines, bool final = false)
    {
        if (!TryOpen())
        {
            return false;
        }

        var buffer = _buffer ?? throw new ObjectDisposedException(nameof(FileLineReader));
        _file!.Seek(Position + _filled, SeekOrigin.Begin);
        // Never past the limit: a reader of a file's first part stops where the rest begins.
        var room = (int)Math.Min(Math.Min(ReadBytes, BufferBytes - _filled), Math.Max(0, limit - Position - _filled));
        var read = room == 0 ? 0 : _file.Read(buffer, _filled, room);
        _filled += read;
        var start = 0;
        var taken = 0;
        var more = false;
        while (start < _filled)
        {
            if (taken == MaxBatchLines)
            {
                more = true;
                break;
            }

            taken++;
            var newline = Array.IndexOf(buffer, (byte)'\n', start, _filled - start);
            if (newline >= 0 && newline - start <= MaxLineBytes)
            {
                lines.Add(new OutputLine(stream, Decode(buffer.AsSpan(start, newline - start), endsWithNewline: true)));
                start = newline + 1;
                continue;
            }

            if (_filled - start >= MaxLineBytes)
            {
                // Longer than the cap: take what fits, cut at a character boundary so the cut
                // itself never makes replacement characters.
                var take = CharBoundary(buffer.AsSpan(start, _filled - start), MaxLineBytes);
                lines.Add(new OutputLine(stream, Decode(buffer.AsSpan(start, take), endsWithNewline: false)));
                start += take;
                continue;
            }

            if (final && read == 0)
            {
                lines.Add(new OutputLine(stream, Decode(buffer.AsSpan(start, _filled - start), endsWithNewline: false)));
                start = _filled;
            }

            break;
        }

        Buffer.BlockCopy(buffer, start, buffer, 0, _filled - start);
        _filled -= start;
        Position += start;
        return read > 0 || more;
    }

    public void Dispose()
    {
        _file?.Dispose();
        if (_buffer is { } buffer)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private bool TryOpen()
    {
        if (_file is not null)
        {
            return true;
        }

        try
        {
            _file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1);
            return true;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            // Not created yet (the launcher makes it), or a run without this stream.
            return false;
        }
    }

    private static string Decode(ReadOnlySpan<byte> bytes, bool endsWithNewline)
    {
        if (endsWithNewline && bytes.Length > 0 && bytes[^1] == (byte)'\r')
        {
            bytes = bytes[..^1];
        }

        return bytes.IsEmpty ? string.Empty : Utf8.GetString(bytes);
    }

    // Backs off from `limit` to the start of a UTF-8 sequence that would not fit before it
    // (at most 3 bytes), unless the data there is not UTF-8 at all, in which case the cut stays.
    private static int CharBoundary(ReadOnlySpan<byte> data, int limit)
    {
        var lead = limit - 1;
        while (lead > 0 && limit - lead < 4 && (data[lead] & 0xC0) == 0x80)
        {
            lead--;
        }

        var length = data[lead] switch
        {
            < 0x80 => 1,
            var b when (b & 0xE0) == 0xC0 => 2,
            var b when (b & 0xF0) == 0xE0 => 3,
            var b when (b & 0xF8) == 0xF0 => 4,
            _ => 1,
        };
        return lead > 0 && lead + length > limit ? lead : limit;
    }
}
