using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using PinsDaemon.Contracts;

namespace PinsDaemon.Actors.Streaming;

/// <summary>
/// Renders every frame of the log WebSocket and the line arrays of <c>GET /jobs/{id}/log</c>:
/// the one place the wire shapes are written (<see cref="LogFrame"/> and its records in
/// PinsDaemon.Contracts are how clients read them back).
/// </summary>
public static class LogFrames
{
    // Relaxed escaping: frames are JSON over a WebSocket, never embedded in HTML, and escaping
    // every non-ASCII character would triple the size of localized apt output.
    internal static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    private static ReadOnlySpan<byte> LinesFrameStart => "{\"type\":\"lines\",\"lines\":["u8;

    private static ReadOnlySpan<byte> LineStart => "{\"type\":\"line\",\"seq\":"u8;

    private static ReadOnlySpan<byte> StdoutThenTime => ",\"stream\":\"stdout\",\"time\":\""u8;

    private static ReadOnlySpan<byte> StderrThenTime => ",\"stream\":\"stderr\",\"time\":\""u8;

    private static ReadOnlySpan<byte> TimeThenText => "\",\"text\":\""u8;

    private static ReadOnlySpan<byte> LineEnd => "\"}"u8;

    private static readonly System.Text.Encoding Utf8 = new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    // One writer per thread, reset for each frame that needs it, and the last time rendered:
    // every line of a batch has the same time, so it is formatted once per batch, not per line.
    [ThreadStatic]
    private static (ArrayBufferWriter<byte> Buffer, Utf8JsonWriter Writer)? t_writer;

    [ThreadStatic]
    private static (DateTimeOffset Time, byte[] Bytes)? t_time;

    // SearchValues, not ContainsAnyInRange: on .NET 10 that allocated 96 bytes per call, once per
    // line on the way to every client (measured with GC.GetAllocatedBytesForCurrentThread).
    private static readonly SearchValues<char> Surrogates = SearchValues.Create([.. Enumerable.Range(0xD800, 0x800).Select(static c => (char)c)]);

    /// <summary>Extra bytes of a lines frame around its lines.</summary>
    public const int LinesFrameOverhead = 64;

    /// <summary>
    /// A line frame: <c>{"type":"line","seq":1,"stream":"stdout","time":"...","text":"..."}</c>.
    /// Rendered once per line (it is what is stored and sent), and on the way to the disk:
    /// lines are published only once stored, so this is on the path of every line to every
    /// client. A text that needs no escaping (nearly all of apt's) is copied in as UTF-8 around
    /// the fixed parts and the batch's time; anything else goes through
    /// <see cref="Utf8JsonWriter"/>. Both give the same bytes (<see cref="WriteLine"/>).
    /// </summary>
    public static byte[] Line(long seq, LogStream stream, DateTimeOffset time, string text) =>
        TryPlainLine(seq, stream, time, text) ?? WriterLine(seq, stream, time, text);

    // A method of its own: a lambda that captures the parameters makes the compiler allocate its
    // closure on entry to the method that holds it, so in Line it cost every line ~180 bytes,
    // taken or not.
    private static byte[] WriterLine(long seq, LogStream stream, DateTimeOffset time, string text) =>
        Render(writer => WriteLine(writer, seq, stream, time, text));

    /// <summary>A line frame through <see cref="Utf8JsonWriter"/>: the reference for <see cref="Line"/>.</summary>
    internal static void WriteLine(Utf8JsonWriter writer, long seq, LogStream stream, DateTimeOffset time, string text)
    {
        writer.WriteStartObject();
        writer.WriteString("type"u8, "line"u8);
        writer.WriteNumber("seq"u8, seq);
        writer.WriteString("stream"u8, stream == LogStream.Stdout ? "stdout"u8 : "stderr"u8);
        writer.WriteString("time"u8, time);
        writer.WriteString("text"u8, text);
        writer.WriteEndObject();
    }

    private static byte[]? TryPlainLine(long seq, LogStream stream, DateTimeOffset time, string text)
    {
        // Surrogates (a pair, or a lone one the writer would escape) take the writer's path;
        // without them UTF-8 is a plain transcoding and the encoder decides the same on it.
        if (text.AsSpan().ContainsAny(Surrogates) || seq < 0)
        {
            return null;
        }

        var timeBytes = TimeBytes(time);
        var middle = stream == LogStream.Stdout ? StdoutThenTime : StderrThenTime;
        var digits = 1;
        for (var rest = seq; rest >= 10; rest /= 10)
        {
            digits++;
        }

        var textBytes = Utf8.GetByteCount(text);
        var frame = new byte[LineStart.Length + digits + middle.Length + timeBytes.Length + TimeThenText.Length + textBytes + LineEnd.Length];
        var span = frame.AsSpan();
        LineStart.CopyTo(span);
        var at = LineStart.Length;
        if (!System.Buffers.Text.Utf8Formatter.TryFormat(seq, span[at..], out var written) || written != digits)
        {
            return null;
        }

        at += written;
        middle.CopyTo(span[at..]);
        at += middle.Length;
        timeBytes.CopyTo(span[at..]);
        at += timeBytes.Length;
        TimeThenText.CopyTo(span[at..]);
        at += TimeThenText.Length;
        var textSpan = span.Slice(at, textBytes);
        Utf8.GetBytes(text, textSpan);
        if (WriterOptions.Encoder!.FindFirstCharacterToEncodeUtf8(textSpan) >= 0)
        {
            return null;
        }

        LineEnd.CopyTo(span[(at + textBytes)..]);
        return frame;
    }

    /// <summary>A time as the writer puts it in a frame, without the quotes.</summary>
    private static byte[] TimeBytes(DateTimeOffset time)
    {
        if (t_time is { } cached && cached.Time.Equals(time) && cached.Time.Offset == time.Offset)
        {
            return cached.Bytes;
        }

        var bytes = RenderTime(time);
        t_time = (time, bytes);
        return bytes;
    }

    // Apart from TimeBytes for the reason given at WriterLine: its closure would be allocated on every call.
    private static byte[] RenderTime(DateTimeOffset time) => Render(writer => writer.WriteStringValue(time))[1..^1];

    /// <summary>
    /// Starts a lines frame (<c>{"type":"lines","lines":[</c>) in <paramref name="target"/>;
    /// <see cref="AppendToLines"/> adds each line's already rendered frame, <see cref="EndLines"/> closes it.
    /// </summary>
    public static int StartLines(Span<byte> target)
    {
        LinesFrameStart.CopyTo(target);
        return LinesFrameStart.Length;
    }

    public static int AppendToLines(Span<byte> target, int at, LogLine line, bool first)
    {
        if (!first)
        {
            target[at++] = (byte)',';
        }

        line.Frame.Span.CopyTo(target[at..]);
        return at + line.Frame.Length;
    }

    public static int EndLines(Span<byte> target, int at)
    {
        "]}"u8.CopyTo(target[at..]);
        return at + 2;
    }

    /// <summary>The lines' frames, already JSON, joined into an array without re-serialising.</summary>
    public static byte[] LineArray(IReadOnlyList<LogLine> lines)
    {
        var size = 2 + lines.Sum(line => line.Frame.Length + 1);
        var output = new byte[size - (lines.Count > 0 ? 1 : 0)];
        var position = 0;
        output[position++] = (byte)'[';
        for (var i = 0; i < lines.Count; i++)
        {
            if (i > 0)
            {
                output[position++] = (byte)',';
            }

            lines[i].Frame.Span.CopyTo(output.AsSpan(position));
            position += lines[i].Frame.Length;
        }

        output[position] = (byte)']';
        return output;
    }

    public static byte[] Progress(JobProgress progress) => Render(writer =>
    {
        writer.WriteStartObject();
        writer.WriteString("type"u8, "progress"u8);
        writer.WriteString("phase"u8, progress.Phase);
        if (progress.Percent is { } percent)
        {
            writer.WriteNumber("percent"u8, percent);
        }
        else
        {
            writer.WriteNull("percent"u8);
        }

        writer.WriteString("package"u8, progress.Package);
        writer.WriteString("message"u8, progress.Message);
        writer.WriteEndObject();
    });

    public static byte[] End(StreamProtocol.LogEnd end) => Render(writer =>
    {
        writer.WriteStartObject();
        writer.WriteString("type"u8, "end"u8);
        writer.WriteString("status"u8, end.Status.WireName());
        if (end.ExitCode is { } exitCode)
        {
            writer.WriteNumber("exitCode"u8, exitCode);
        }
        else
        {
            writer.WriteNull("exitCode"u8);
        }

        writer.WriteNumber("lastSeq"u8, end.LastSeq);
        if (end.Message is not null)
        {
            writer.WriteString("message"u8, end.Message);
        }

        writer.WriteEndObject();
    });

    public static byte[] Shutdown(long lastSeq) => Render(writer =>
    {
        writer.WriteStartObject();
        writer.WriteString("type"u8, "shutdown"u8);
        writer.WriteNumber("lastSeq"u8, lastSeq);
        writer.WriteString("message"u8, $"The daemon is shutting down. Reconnect with ?after={lastSeq} when it is back.");
        writer.WriteEndObject();
    });

    private static byte[] Render(Action<Utf8JsonWriter> write)
    {
        var (buffer, writer) = t_writer ??= CreateWriter();
        buffer.ResetWrittenCount();
        writer.Reset(buffer);
        write(writer);
        writer.Flush();
        var frame = buffer.WrittenSpan.ToArray();
        if (buffer.Capacity > 256 * 1024)
        {
            // A huge line grew the buffer: do not keep that much per thread.
            t_writer = null;
        }

        return frame;
    }

    private static (ArrayBufferWriter<byte>, Utf8JsonWriter) CreateWriter()
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        return (buffer, new Utf8JsonWriter(buffer, WriterOptions));
    }
}
