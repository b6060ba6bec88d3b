using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace PinsDaemon.Host.Tests.TestSupport;

/// <summary>
/// Checks real response bodies against the daemon's own OpenAPI document, strictly: no member
/// the document does not list, none it lists missing.
/// </summary>
internal sealed class OpenApiChecker(JsonNode document)
{
    /// <summary>The document of a running daemon.</summary>
    public static async Task<OpenApiChecker> LoadAsync(DaemonFixture daemon) =>
        new(JsonNode.Parse(await daemon.Client.GetStringAsync("/openapi/v1.json"))!);

    public async Task<JsonElement> CheckAsync(HttpClient client, HttpMethod method, string url, string template, HttpStatusCode expected, HttpContent? body = null)
    {
        using var response = await client.SendAsync(new HttpRequestMessage(method, url) { Content = body });
        Assert.Equal(expected, response.StatusCode);
        var mediaType = response.Content.Headers.ContentType?.MediaType ?? "text/plain";
        var text = await response.Content.ReadAsStringAsync();
        var status = ((int)expected).ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (!mediaType.Contains("json"))
        {
            Assert.True(Operation(template, method.Method.ToLowerInvariant())["responses"]![status] is not null, $"{method} {template} {status} is not in the document");
            return default;
        }

        var element = JsonDocument.Parse(text).RootElement.Clone();
        Check(template, method.Method.ToLowerInvariant(), status, mediaType, element);
        return element;
    }

    public void Check(string template, string method, string status, string mediaType, JsonElement body)
    {
        var response = Operation(template, method)["responses"]![status]
            ?? throw new Xunit.Sdk.XunitException($"{method} {template}: status {status} is not in the document");
        var schema = response["content"]?[mediaType]?["schema"]
            ?? throw new Xunit.Sdk.XunitException($"{method} {template} {status}: no {mediaType} schema in the document");

        // One self-contained schema: the response's, with the document's components as $defs.
        var root = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$defs"] = Strict(document["components"]!["schemas"]!.DeepClone()),
            ["allOf"] = new JsonArray(Strict(schema.DeepClone())),
        };
        var text = root.ToJsonString().Replace("#/components/schemas/", "#/$defs/", StringComparison.Ordinal);
        var result = JsonSchema.FromText(text).Evaluate(body, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (!result.IsValid)
        {
            var errors = string.Join("; ", (result.Details ?? []).Where(d => d.Errors is not null)
                .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")));
            throw new Xunit.Sdk.XunitException($"{method} {template} {status} does not match the document: {errors}\n{body}");
        }
    }

    private JsonNode Operation(string template, string method) =>
        document["paths"]![template]?[method] ?? throw new Xunit.Sdk.XunitException($"{method} {template} is not in the document");

    /// <summary>Every object schema with properties: exactly those members, all present.</summary>
    private static JsonNode Strict(JsonNode node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (_, child) in obj.ToArray())
                {
                    if (child is not null)
                    {
                        Strict(child);
                    }
                }

                if (obj["properties"] is JsonObject properties && !obj.ContainsKey("additionalProperties"))
                {
                    obj["additionalProperties"] = false;
                    obj["required"] = new JsonArray(properties.Select(p => (JsonNode)JsonValue.Create(p.Key)!).ToArray());
                }

                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    if (child is not null)
                    {
                        Strict(child);
                    }
                }

                break;
        }

        return node;
    }
}
