using System.Text.Json;
using PinsDaemon.Contracts;

namespace PinsDaemon.Actors.Streaming;

/// <summary>
/// One numbered line of a job's output. Immutable and shared by every subscriber, so the
/// wire frame is rendered once per line, not once per line per subscriber.
/// </summary>
/// <remarks>
/// A line holds its parsed fields until its frame is rendered (by the disk writer, or the first
/// send), then only the frame: the fields are read back from it if anyone asks. A window of
/// recent lines therefore costs one small array per line, not an array, a string and two objects.
/// </remarks>
public sealed class LogLine
{
    private static ReadOnlySpan<byte> StoredPrefix => "{\"type\":\"line\",\"seq\":"u8;

    private byte[]? _frame;
    private Details? _details;

    public LogLine(long seq, LogStream stream, DateTimeOffset time, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Seq = seq;
        _details = new Details(stream, time, text);
        Weight = WeightOf(text);
    }

    /// <summary>A stored line: only its seq is read now; the rest when someone asks.</summary>
    private LogLine(long seq, byte[] frame)
    {
        Seq = seq;
        _frame = frame;
        Weight = StoredWeightOf(frame.Length);
    }

    /// <summary>Position in the job's output, from 1, across stdout and stderr.</summary>
    public long Seq { get; }

    public LogStream Stream => Parsed.Stream;

    public DateTimeOffset Time => Parsed.Time;

    public string Text => Parsed.Text;

    /// <summary>Stream, time and text together: one parse of the frame when only the frame is held, not three.</summary>
    public void Deconstruct(out LogStream stream, out DateTimeOffset time, out string text)
    {
        var details = Parsed;
        (stream, time, text) = (details.Stream, details.Time, details.Text);
    }

    /// <summary>
    /// The line as the WebSocket contract's frame:
    /// <c>{"type":"line","seq":1,"stream":"stdout","time":"...","text":"..."}</c>.
    /// Rendered lazily; a benign race may render it twice, never differently.
    /// </summary>
    public ReadOnlyMemory<byte> Frame => Volatile.Read(ref _frame) ?? Render();

    /// <summary>
    /// At least the bytes this line holds at any time: what buffers, the in-memory window and
    /// the output waiting for the disk are bounded by.
    /// </summary>
    public int Weight { get; }

    /// <summary>
    /// A new line's most, with room to spare: before its frame is rendered, this object (48 bytes),
    /// its fields (48) and the text (24 + 2 per char); after, this object and the frame (24 + about
    /// 100 of JSON + the text's UTF-8, up to 3 bytes per char; 1 for ASCII, which most output is).
    /// </summary>
    internal static int WeightOf(string? text) => 256 + (text?.Length ?? 0) * 3;

    /// <summary>A line read back from disk: this object (48 bytes) and its frame (24 + its length).</summary>
    private static int StoredWeightOf(int frameLength) => 72 + frameLength;

    /// <summary>The fields while they are held; once only the frame is, parsed from it each time (not kept).</summary>
    private Details Parsed => Volatile.Read(ref _details) ?? ParseDetails(Volatile.Read(ref _frame)!);

    /// <summary>
    /// Reads a stored line back from its frame (one line of <c>log.jsonl</c>), looking only at
    /// the seq: replaying a long log to many clients must not decode every line's text and time.
    /// False for anything that is not a complete frame of ours, such as a line cut short by a crash.
    /// </summary>
    public static bool TryParseFrame(ReadOnlySpan<byte> frame, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out LogLine? line)
    {
        line = null;
        if (!frame.StartsWith(StoredPrefix) || !frame.EndsWith("\"}"u8)
            || !System.Buffers.Text.Utf8Parser.TryParse(frame[StoredPrefix.Length..], out long seq, out var consumed)
            || seq <= 0 || frame[StoredPrefix.Length + consumed] != (byte)',')
        {
            return false;
        }

        line = new LogLine(seq, frame.ToArray());
        return true;
    }

    private static Details ParseDetails(byte[] frame)
    {
        LogStream? stream = null;
        DateTimeOffset? time = null;
        string? text = null;
        try
        {
            var reader = new Utf8JsonReader(frame, new JsonReaderOptions { MaxDepth = 2 });
            reader.Read();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("stream"u8) && reader.Read())
                {
                    stream = reader.ValueTextEquals("stderr"u8) ? LogStream.Stderr : LogStream.Stdout;
                }
                else if (reader.ValueTextEquals("time"u8) && reader.Read())
                {
                    time = reader.GetDateTimeOffset();
                }
                else if (reader.ValueTextEquals("text"u8) && reader.Read())
                {
                    text = reader.GetString();
                }
                else
                {
                    reader.Read();
                    reader.TrySkip();
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
        {
            // A damaged stored line: say so rather than fail the replay.
        }

        return new Details(stream ?? LogStream.Stdout, time ?? DateTimeOffset.UnixEpoch, text ?? "\uFFFD (this stored line is damaged)");
    }

    /// <summary>
    /// Renders the frame and lets the fields go. A benign race may render it twice, never
    /// differently; the frame is published before the fields are dropped, so a reader that finds
    /// no fields always finds the frame.
    /// </summary>
    private byte[] Render()
    {
        var details = Parsed;
        var frame = LogFrames.Line(Seq, details.Stream, details.Time, details.Text);
        frame = Interlocked.CompareExchange(ref _frame, frame, null) ?? frame;
        Volatile.Write(ref _details, null);
        return frame;
    }

    public override string ToString() => $"{Seq} {Stream}: {Text}";

    private sealed record Details(LogStream Stream, DateTimeOffset Time, string Text);
}
