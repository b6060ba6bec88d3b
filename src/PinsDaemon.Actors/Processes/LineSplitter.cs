using System.Buffers;
using System.Text;
using PinsDaemon.Actors.Jobs;
using PinsDaemon.Contracts;

namespace PinsDaemon.Actors.Processes;

/// <summary>
/// Cuts a byte stream into lines. Invalid UTF-8 decodes to U+FFFD, a trailing CR before LF is
/// dropped, a line longer than <see cref="MaxLineBytes"/> is split, and a final line without a
/// newline is kept by <see cref="Flush"/>. Not thread-safe: one instance per pipe.
/// </summary>
public sealed class LineSplitter
{
    /// <summary>
    /// 64 KiB: far above any line apt or dpkg prints, and low enough that one runaway line
    /// (a binary dumped to the terminal, say) cannot make a single log entry huge.
    /// </summary>
    public const int MaxLineBytes = 64 * 1024;

    // A non-throwing decoder: bytes that are not UTF-8 become U+FFFD instead of failing the job.
    private static readonly Encoding Utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    private readonly LogStream _stream;
    private readonly byte[] _pending = new byte[MaxLineBytes];
    private int _pendingLength;

    public LineSplitter(LogStream stream) => _stream = stream;

    /// <summary>Adds bytes read from the pipe and appends every completed line to <paramref name="lines"/>.</summary>
    public void Append(ReadOnlySpan<byte> data, List<OutputLine> lines)
    {
        while (!data.IsEmpty)
        {
            var newline = data.IndexOf((byte)'\n');
            var room = MaxLineBytes - _pendingLength;
            if (newline >= 0 && newline <= room)
            {
                Emit(data[..newline], lines, endsWithNewline: true);
                data = data[(newline + 1)..];
                continue;
            }

            if (data.Length < room)
            {
                data.CopyTo(_pending.AsSpan(_pendingLength));
                _pendingLength += data.Length;
                return;
            }

            // The line is longer than the cap: emit what fits, cut at a character boundary so the
            // split itself never manufactures replacement characters.
            var take = CharBoundary(data, room);
            Emit(data[..take], lines, endsWithNewline: false);
            data = data[take..];
        }
    }

    /// <summary>Emits a final line that had no newline, if any.</summary>
    public void Flush(List<OutputLine> lines)
    {
        if (_pendingLength > 0)
        {
            Emit(ReadOnlySpan<byte>.Empty, lines, endsWithNewline: false);
        }
    }

    private void Emit(ReadOnlySpan<byte> tail, List<OutputLine> lines, bool endsWithNewline)
    {
        string text;
        if (_pendingLength == 0)
        {
            text = Decode(tail, endsWithNewline);
        }
        else
        {
            var whole = ArrayPool<byte>.Shared.Rent(_pendingLength + tail.Length);
            try
            {
                _pending.AsSpan(0, _pendingLength).CopyTo(whole);
                tail.CopyTo(whole.AsSpan(_pendingLength));
                text = Decode(whole.AsSpan(0, _pendingLength + tail.Length), endsWithNewline);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(whole);
            }

            _pendingLength = 0;
        }

        lines.Add(new OutputLine(_stream, text));
    }

    private static string Decode(ReadOnlySpan<byte> bytes, bool endsWithNewline)
    {
        if (endsWithNewline && bytes.Length > 0 && bytes[^1] == (byte)'\r')
        {
            bytes = bytes[..^1];
        }

        return bytes.IsEmpty ? string.Empty : Utf8.GetString(bytes);
    }

    // Backs off from `limit` to the start of a UTF-8 sequence (at most 3 bytes), unless the
    // data there is not UTF-8 at all, in which case the cut stays where it is.
    private static int CharBoundary(ReadOnlySpan<byte> data, int limit)
    {
        if (limit <= 0)
        {
            return Math.Min(1, data.Length);
        }

        for (var i = limit; i > 0 && i > limit - 4; i--)
        {
            if (i >= data.Length || (data[i] & 0xC0) != 0x80)
            {
                return i;
            }
        }

        return limit;
    }
}
