using System.Text.Json;
using System.Text.Json.Serialization;

namespace PinsDaemon.Contracts;

/// <summary>
/// The frames of the merged rollout log (<c>/fleet/rollouts/{id}/logs</c>): the local log frames
/// with the <c>host</c> they come from (each host's <c>seq</c> is that host's own), plus
/// <c>rolloutEnd</c> once the rollout is over and every host's log was sent.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type", IgnoreUnrecognizedTypeDiscriminators = false)]
[JsonDerivedType(typeof(FleetLineFrame), "line")]
[JsonDerivedType(typeof(FleetProgressFrame), "progress")]
[JsonDerivedType(typeof(FleetEndFrame), "end")]
[JsonDerivedType(typeof(FleetRolloutEndFrame), "rolloutEnd")]
[JsonDerivedType(typeof(FleetShutdownFrame), "shutdown")]
public abstract record FleetLogFrame
{
    /// <summary>Reads one frame; throws <see cref="JsonException"/> for anything that is not one.</summary>
    public static FleetLogFrame Parse(ReadOnlySpan<byte> utf8) =>
        JsonSerializer.Deserialize<FleetLogFrame>(utf8, ContractJson.Options) ?? throw new JsonException("a log frame cannot be null");
}

/// <summary>One line of <paramref name="Host"/>'s job, exactly as that host's <c>/logs/{jobId}</c> sends it, plus the host.</summary>
public sealed record FleetLineFrame(string Host, long Seq, LogStream Stream, DateTimeOffset Time, string Text) : FleetLogFrame;

/// <summary>The progress of <paramref name="Host"/>'s job changed.</summary>
public sealed record FleetProgressFrame(string Host, string Phase, double? Percent, string? Package, string? Message) : FleetLogFrame;

/// <summary><paramref name="Host"/>'s job ended; its last line is <paramref name="LastSeq"/>.</summary>
public sealed record FleetEndFrame(string Host, JobStatus Status, int? ExitCode, long LastSeq, string? Message) : FleetLogFrame;

/// <summary>The rollout is over and every host's log was sent. The server closes with 1000 after it.</summary>
public sealed record FleetRolloutEndFrame(string RolloutId, RolloutStatus Status) : FleetLogFrame;

/// <summary>
/// The daemon is stopping. <paramref name="LastSeq"/> has the last seq sent per host: reconnect later
/// with <c>?after=host:seq,host:seq</c>. Close code 1001 follows.
/// </summary>
public sealed record FleetShutdownFrame(IReadOnlyDictionary<string, long> LastSeq, string? Message) : FleetLogFrame;
