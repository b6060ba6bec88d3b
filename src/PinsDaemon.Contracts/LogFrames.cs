using System.Text.Json;
using System.Text.Json.Serialization;

namespace PinsDaemon.Contracts;

/// <summary>
/// The frames of the log WebSocket (<c>/logs/{id}</c>) and the line objects of
/// <c>GET /jobs/{id}/log</c>, as a client reads them. Every frame is one JSON object whose
/// <c>type</c> says which of these it is.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type", IgnoreUnrecognizedTypeDiscriminators = false)]
[JsonDerivedType(typeof(LineFrame), "line")]
[JsonDerivedType(typeof(LinesFrame), "lines")]
[JsonDerivedType(typeof(ProgressFrame), "progress")]
[JsonDerivedType(typeof(EndFrame), "end")]
[JsonDerivedType(typeof(ShutdownFrame), "shutdown")]
public abstract record LogFrame
{
    /// <summary>Reads one frame; throws <see cref="JsonException"/> for anything that is not one.</summary>
    public static LogFrame Parse(ReadOnlySpan<byte> utf8) =>
        JsonSerializer.Deserialize<LogFrame>(utf8, ContractJson.Options) ?? throw new JsonException("a log frame cannot be null");
}

/// <summary>One log line. <paramref name="Seq"/> counts from 1 across stdout and stderr.</summary>
public sealed record LineFrame(long Seq, LogStream Stream, DateTimeOffset Time, string Text) : LogFrame;

/// <summary>Several consecutive lines in one frame (<c>?batch=true</c>).</summary>
public sealed record LinesFrame(IReadOnlyList<LineFrame> Lines) : LogFrame;

/// <summary>The job's progress changed; not a log line, so no seq.</summary>
public sealed record ProgressFrame(string Phase, double? Percent, string? Package, string? Message) : LogFrame;

/// <summary>The job ended; the last line it had is <paramref name="LastSeq"/>. The server closes with 1000 after it.</summary>
public sealed record EndFrame(JobStatus Status, int? ExitCode, long LastSeq, string? Message) : LogFrame;

/// <summary>The daemon is stopping; reconnect later with <c>?after=</c><paramref name="LastSeq"/>. Close code 1001 follows.</summary>
public sealed record ShutdownFrame(long LastSeq, string? Message) : LogFrame;
