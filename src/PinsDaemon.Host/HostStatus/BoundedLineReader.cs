using System.Text;

namespace PinsDaemon.Host.HostStatus;

/// <summary>
/// Reads '\n'-terminated lines from a stream without ever holding more than
/// <c>maxLineBytes</c> of one line: a longer line is skipped to its end and reported as too long.
/// A file the daemon only reads (a log, dpkg's status) cannot make it allocate without bound.
/// Invalid UTF-8 becomes U+FFFD; a trailing '\r' is dropped.
/// </summary>
internal sealed class BoundedLineReader(Stream stream, int maxLineBytes)
{
    private readonly byte[] _buffer = new byte[64 * 1024];
    private readonly MemoryStream _line = new();
    private int _start;
    private int _end;
    private bool _eof;

    /// <summary>Bytes of the lines returned so far, newlines included.</summary>
    public long BytesRead { get; private set; }

    /// <summary>The next line, or null at the end of the stream.</summary>
    public async ValueTask<ReadLine?> ReadLineAsync(CancellationToken cancellationToken)
    {
        _line.SetLength(0);
        var tooLong = false;
        while (true)
        {
            if (_start == _end)
            {
                if (_eof)
                {
                    return _line.Length > 0 || tooLong ? Finish(tooLong) : null;
                }

                _start = 0;
                _end = await stream.ReadAsync(_buffer, cancellationToken);
                if (_end == 0)
                {
                    _eof = true;
                    continue;
                }
            }

            var span = _buffer.AsSpan(_start, _end - _start);
            var newline = span.IndexOf((byte)'\n');
            if (newline >= 0 && _line.Length == 0 && !tooLong && newline <= maxLineBytes)
            {
                // The common case: the whole line is in the buffer; decode it from there.
                _start += newline + 1;
                BytesRead += newline + 1;
                return new ReadLine(Decode(span[..newline]), TooLong: false);
            }

            var chunk = newline < 0 ? span : span[..newline];
            if (!tooLong && _line.Length + chunk.Length <= maxLineBytes)
            {
                _line.Write(chunk);
            }
            else
            {
                tooLong = true;
            }

            var consumed = newline < 0 ? span.Length : newline + 1;
            _start += consumed;
            BytesRead += consumed;
            if (newline >= 0)
            {
                return Finish(tooLong);
            }
        }
    }

    private ReadLine Finish(bool tooLong)
    {
        if (tooLong)
        {
            return new ReadLine(string.Empty, TooLong: true);
        }

        return new ReadLine(Decode(_line.GetBuffer().AsSpan(0, (int)_line.Length)), TooLong: false);
    }

    private static string Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > 0 && bytes[^1] == (byte)'\r')
        {
            bytes = bytes[..^1];
        }

        return bytes.IsEmpty ? string.Empty : Encoding.UTF8.GetString(bytes);
    }
}

/// <summary>One line; <see cref="TooLong"/> lines have no text.</summary>
internal readonly record struct ReadLine(string Text, bool TooLong);
