using System.Text.Json;
using System.Text.Json.Serialization;

namespace PinsDaemon.Contracts;

/// <summary>A <see cref="JobId"/> in JSON is its canonical text; anything else is rejected.</summary>
public sealed class JobIdJsonConverter : JsonConverter<JobId>
{
    public override JobId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        JobId.TryParse(reader.GetString(), out var id) ? id : throw new JsonException("not a job id");

    public override void Write(Utf8JsonWriter writer, JobId value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());
}
