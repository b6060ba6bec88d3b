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

    /// <summary>Extra bytes of a lines frame around its lines.</summary>
    public const int LinesFrameOverhead = 64;

    /// <summary>A line frame: <c>{"type":"line","seq":1,"stream":"stdout","time":"...","text":"..."}</c>.</summary>
    public static void WriteLine(Utf8JsonWriter writer, LogLine line)
    {
        writer.WriteStartObject();
        writer.WriteString("type"u8, "line"u8);
        writer.WriteNumber("seq"u8, line.Seq);
        writer.WriteString("stream"u8, line.Stream == LogStream.Stdout ? "stdout"u8 : "stderr"u8);
        writer.WriteString("time"u8, line.Time);
        writer.WriteString("text"u8, line.Text);
        writer.WriteEndObject();
    }

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
        var output = new ArrayBufferWriter<byte>(160);
        using (var writer = new Utf8JsonWriter(output, WriterOptions))
        {
            write(writer);
        }

        return output.WrittenSpan.ToArray();
    }
}
