using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace PinsDaemon.Contracts;

/// <summary>
/// How the API writes and reads its JSON: web defaults (camelCase members) and enums as
/// camelCase strings (<c>"timedOut"</c>), never numbers. The daemon and its clients use these
/// same options, so a client reads exactly what the daemon writes.
/// </summary>
public static class ContractJson
{
    public static JsonSerializerOptions Options { get; } = Create();

    /// <summary>Adds the contract's settings to options owned by someone else (ASP.NET Core's).</summary>
    public static void Apply(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.PropertyNameCaseInsensitive = true;
        options.NumberHandling = JsonNumberHandling.Strict;
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false));
    }

    /// <summary>The wire name of a status or state: <c>succeeded</c>, <c>timedOut</c>, <c>ifRequired</c>, ...</summary>
    public static string WireName<TEnum>(this TEnum value)
        where TEnum : struct, Enum => JsonNamingPolicy.CamelCase.ConvertName(value.ToString());

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        Apply(options);
        options.TypeInfoResolver = new DefaultJsonTypeInfoResolver();
        options.MakeReadOnly();
        return options;
    }
}
