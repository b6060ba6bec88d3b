using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace PinsDaemon.Actors.Jobs;

/// <summary>
/// One numbered line of a job's output. Immutable and shared by every subscriber, so the
/// wire frame is rendered once per line, not once per line per subscriber.
/// </summary>
public sealed class LogLine
{
    // Relaxed escaping: frames are JSON over a WebSocket, never embedded in HTML, and escaping
    // every non-ASCII character would triple the size of localized apt output.
    private static readonly JsonWriterOptions FrameWriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    private byte[]? _frame;

    public LogLine(long seq, LogStream stream, DateTimeOffset time, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Seq = seq;
        Stream = stream;
        Time = time;
        Text = text;
    }

    private LogLine(long seq, LogStream stream, DateTimeOffset time, string text, byte[] frame)
        : this(seq, stream, time, text)
    {
        _frame = frame;
    }

    /// <summary>Position in the job's output, from 1, across stdout and stderr.</summary>
    public long Seq { get; }

    public LogStream Stream { get; }

    public DateTimeOffset Time { get; }

    public string Text { get; }

    /// <summary>
    /// The line as the WebSocket contract's frame:
    /// <c>{"type":"line","seq":1,"stream":"stdout","time":"...","text":"..."}</c>.
    /// Rendered lazily; a benign race may render it twice, never differently.
    /// </summary>
    public ReadOnlyMemory<byte> Frame => _frame ??= RenderFrame();

    /// <summary>Approximate bytes this line holds in memory; used to bound buffers.</summary>
    public int Weight => WeightOf(Text);

    internal static int WeightOf(string? text) => 64 + (text?.Length ?? 0) * sizeof(char);

    /// <summary>Writes the line as a JSON object (used for single frames and for arrays of lines).</summary>
    public void WriteTo(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("type"u8, "line"u8);
        writer.WriteNumber("seq"u8, Seq);
        writer.WriteString("stream"u8, Stream == LogStream.Stdout ? "stdout"u8 : "stderr"u8);
        writer.WriteString("time"u8, Time);
        writer.WriteString("text"u8, Text);
        writer.WriteEndObject();
    }

    /// <summary>
    /// Reads a line back from its frame (one line of a stored log). False for anything that is
    /// not a complete, well-formed line frame, such as a line cut short by a crash.
    /// </summary>
    public static bool TryParseFrame(ReadOnlySpan<byte> frame, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out LogLine? line)
    {
        line = null;
        long? seq = null;
        LogStream? stream = null;
        DateTimeOffset? time = null;
        string? text = null;
        try
        {
            var reader = new Utf8JsonReader(frame, new JsonReaderOptions { MaxDepth = 2 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("seq"u8) && reader.Read())
                {
                    seq = reader.GetInt64();
                }
                else if (reader.ValueTextEquals("stream"u8) && reader.Read())
                {
                    stream = reader.ValueTextEquals("stderr"u8) ? LogStream.Stderr : reader.ValueTextEquals("stdout"u8) ? LogStream.Stdout : null;
                }
                else if (reader.ValueTextEquals("time"u8) && reader.Read())
                {
                    time = reader.GetDateTimeOffset();
                }
                else if (reader.ValueTextEquals("text"u8) && reader.Read())
                {
                    text = reader.GetString();
                }
                else if (!reader.Read() || !reader.TrySkip())
                {
                    return false;
                }
            }

            if (reader.TokenType != JsonTokenType.EndObject || seq is not > 0 || stream is null || time is null || text is null)
            {
                return false;
            }
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
        {
            return false;
        }

        line = new LogLine(seq.Value, stream.Value, time.Value, text, frame.ToArray());
        return true;
    }

    private byte[] RenderFrame()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(Encoding.UTF8.GetMaxByteCount(Text.Length) / 2 + 96);
        using (var writer = new Utf8JsonWriter(buffer, FrameWriterOptions))
        {
            WriteTo(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }

    public override string ToString() => $"{Seq} {Stream}: {Text}";
}
