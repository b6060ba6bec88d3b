using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using PinsDaemon.Contracts;
using PinsDaemon.Fleet.Agents;

namespace PinsDaemon.Host.Fleet;

/// <summary>
/// Renders the merged log's frames (<see cref="FleetLogFrame"/> on the client side): a host's
/// frames are its local frames with <c>host</c> added. This is the one place they are rendered.
/// </summary>
internal static class FleetLogFrameWriter
{
    // As for local frames: JSON over a WebSocket, never embedded in HTML.
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] Line(string host, RemoteLine line) => Render(writer =>
    {
        writer.WriteString("type"u8, "line"u8);
        writer.WriteString("host"u8, host);
        writer.WriteNumber("seq"u8, line.Seq);
        writer.WriteString("stream"u8, line.Stream == LogStream.Stdout ? "stdout"u8 : "stderr"u8);
        writer.WriteString("time"u8, line.Time);
        writer.WriteString("text"u8, line.Text);
    });

    public static byte[] Progress(string host, JobProgress progress) => Render(writer =>
    {
        writer.WriteString("type"u8, "progress"u8);
        writer.WriteString("host"u8, host);
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
    });

    public static byte[] End(string host, AgentJobState job, long lastSeq) => Render(writer =>
    {
        writer.WriteString("type"u8, "end"u8);
        writer.WriteString("host"u8, host);
        writer.WriteString("status"u8, job.Status.WireName());
        if (job.ExitCode is { } exitCode)
        {
            writer.WriteNumber("exitCode"u8, exitCode);
        }
        else
        {
            writer.WriteNull("exitCode"u8);
        }

        writer.WriteNumber("lastSeq"u8, lastSeq);
        writer.WriteString("message"u8, job.Message);
    });

    public static byte[] RolloutEnd(string rolloutId, RolloutStatus status) => Render(writer =>
    {
        writer.WriteString("type"u8, "rolloutEnd"u8);
        writer.WriteString("rolloutId"u8, rolloutId);
        writer.WriteString("status"u8, status.WireName());
    });

    public static byte[] Shutdown(IReadOnlyDictionary<string, long> lastSeq, string message) => Render(writer =>
    {
        writer.WriteString("type"u8, "shutdown"u8);
        writer.WriteStartObject("lastSeq"u8);
        foreach (var (host, seq) in lastSeq.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            writer.WriteNumber(host, seq);
        }

        writer.WriteEndObject();
        writer.WriteString("message"u8, message);
    });

    private static byte[] Render(Action<Utf8JsonWriter> write)
    {
        var output = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(output, Options))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        return output.WrittenSpan.ToArray();
    }
}
