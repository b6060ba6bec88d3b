using System.Collections.Frozen;
using System.Runtime.Serialization;
using System.Text.Json;
using Akka.Actor;
using Akka.Serialization;
using PinsDaemon.Contracts;

namespace PinsDaemon.Fleet.Serialization;

/// <summary>
/// System.Text.Json for every <see cref="IFleetMessage"/>, with the API's JSON options. The
/// manifest names one of a closed set of types (those of this assembly that implement the marker),
/// so bytes from a peer can never ask for an arbitrary type, as type-name handling would allow.
/// </summary>
public sealed class FleetSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    /// <summary>Akka reserves identifiers below 100; any fixed number of ours above them.</summary>
    public const int Id = 4161;

    public const string Name = "pins-fleet";

    private static readonly FrozenDictionary<string, Type> TypesByManifest = typeof(IFleetMessage).Assembly
        .GetTypes()
        .Where(type => type is { IsAbstract: false, IsInterface: false } && typeof(IFleetMessage).IsAssignableFrom(type))
        .ToFrozenDictionary(ManifestOf, StringComparer.Ordinal);

    public override int Identifier => Id;

    public override byte[] ToBinary(object obj) => JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), ContractJson.Options);

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (!TypesByManifest.TryGetValue(manifest, out var type))
        {
            throw new SerializationException($"Not a fleet message: '{manifest}'");
        }

        return JsonSerializer.Deserialize(bytes, type, ContractJson.Options)
            ?? throw new SerializationException($"A fleet message cannot be null: '{manifest}'");
    }

    public override string Manifest(object o) => ManifestOf(o.GetType());

    private static string ManifestOf(Type type) => type.FullName!["PinsDaemon.Fleet.".Length..];
}
