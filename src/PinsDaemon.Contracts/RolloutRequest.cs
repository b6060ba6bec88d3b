using System.Text.Json;
using System.Text.Json.Serialization;

namespace PinsDaemon.Contracts;

/// <summary>
/// The body of <c>POST /fleet/rollouts</c>, and what a rollout keeps of it (its hosts then named).
/// The daemon reads it strictly (unknown or repeated members are refused): only
/// <see cref="DryRun"/> and <see cref="Hosts"/> are required; <see cref="Mode"/> and
/// <see cref="Autoremove"/> are read exactly as <c>POST /upgrade</c> reads them.
/// </summary>
/// <param name="Canary">How many hosts go first, alone (group 0).</param>
/// <param name="BatchSize">How many hosts run at once after the canaries.</param>
/// <param name="MaxFailures">Failures (failed or unreachable hosts) tolerated; one more stops the rollout.</param>
public sealed record RolloutRequest(
    bool DryRun,
    RolloutHosts Hosts,
    int Canary = 0,
    int BatchSize = 1,
    int MaxFailures = 0,
    RebootPolicy Reboot = RebootPolicy.Never)
{
    /// <summary>
    /// Each host's job mode, as <c>POST /upgrade</c> takes it: <c>upgrade</c> or <c>full-upgrade</c>
    /// (<see cref="UpgradeModes"/>). Rollouts recorded before modes existed were upgrades.
    /// </summary>
    public string Mode { get; init; } = UpgradeModes.Upgrade;

    /// <summary>Whether each host's job also removes what is no longer needed, as <c>POST /upgrade</c>'s <c>autoremove</c>.</summary>
    public bool Autoremove { get; init; }

    /// <summary>Hosts per rollout: what one replicated record holds comfortably (README, fleet limits).</summary>
    public const int MaxHosts = 500;
}

/// <summary>A rollout's hosts: every host of the fleet (<c>"all"</c>), or names, in the order they go.</summary>
[JsonConverter(typeof(RolloutHostsJsonConverter))]
public sealed class RolloutHosts : IEquatable<RolloutHosts>
{
    public const string AllValue = "all";

    private RolloutHosts(IReadOnlyList<string> names)
    {
        Names = names;
    }

    /// <summary>Every host of the fleet, by name, when the rollout starts.</summary>
    public static RolloutHosts All { get; } = new([]);

    /// <summary>Empty for <see cref="All"/>.</summary>
    public IReadOnlyList<string> Names { get; }

    public bool IsAll => Names.Count == 0;

    /// <summary>These hosts, in this order; at least one.</summary>
    public static RolloutHosts Named(IReadOnlyList<string> names)
    {
        ArgumentOutOfRangeException.ThrowIfZero(names.Count, nameof(names));
        return new RolloutHosts(names.ToArray());
    }

    public bool Equals(RolloutHosts? other) => other is not null && Names.SequenceEqual(other.Names, StringComparer.Ordinal);

    public override bool Equals(object? obj) => Equals(obj as RolloutHosts);

    public override int GetHashCode() => Names.Count == 0 ? 0 : HashCode.Combine(Names.Count, Names[0]);

    public override string ToString() => IsAll ? AllValue : string.Join(",", Names);
}

/// <summary><see cref="RolloutHosts"/> in JSON: <c>"all"</c>, or a non-empty array of names.</summary>
public sealed class RolloutHostsJsonConverter : JsonConverter<RolloutHosts>
{
    public override RolloutHosts Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String && reader.ValueTextEquals(RolloutHosts.AllValue))
        {
            return RolloutHosts.All;
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException("hosts is \"all\" or an array of node names");
        }

        var names = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.String || names.Count == RolloutRequest.MaxHosts)
            {
                throw new JsonException($"hosts is an array of at most {RolloutRequest.MaxHosts} node names");
            }

            names.Add(reader.GetString()!);
        }

        return names.Count == 0 ? throw new JsonException("hosts is empty") : RolloutHosts.Named(names);
    }

    public override void Write(Utf8JsonWriter writer, RolloutHosts value, JsonSerializerOptions options)
    {
        if (value.IsAll)
        {
            writer.WriteStringValue(RolloutHosts.AllValue);
            return;
        }

        writer.WriteStartArray();
        foreach (var name in value.Names)
        {
            writer.WriteStringValue(name);
        }

        writer.WriteEndArray();
    }
}

/// <summary>What <c>POST /fleet/rollouts/{id}/{command}</c> asks of a rollout.</summary>
public enum RolloutCommand
{
    /// <summary>Start no new host until resumed; hosts already running finish.</summary>
    Pause,

    Resume,

    /// <summary>Start no new host, ask running jobs to stop (refused by a job once dpkg runs), skip the rest.</summary>
    Cancel,
}
