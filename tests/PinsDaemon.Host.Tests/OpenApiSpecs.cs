using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using PinsDaemon.Host.Tests.TestSupport;

namespace PinsDaemon.Host.Tests;

/// <summary>
/// The OpenAPI document against the real daemon: every response body exercised here must match
/// the schema the document gives for its path, method, status and content type, strictly (no
/// member the document does not list, none it lists missing), so the two cannot drift apart.
/// </summary>
public sealed class OpenApiSpecs
{
    [Fact]
    public async Task Should_describe_every_response_the_daemon_gives()
    {
        await using var daemon = await DaemonFixture.StartAsync("channel-dry-run.sh",
            $"--Host:AptHistoryLog={Path.Combine(AppContext.BaseDirectory, "fixtures", "apt-history", "history.log")}");
        using var anonymous = await daemon.Anonymous.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        var document = JsonNode.Parse(await daemon.Client.GetStringAsync("/openapi/v1.json"))!;
        Assert.Equal("3.1.1", document["openapi"]!.GetValue<string>());
        Assert.Equal(["adminToken", "metricsToken"], document["components"]!["securitySchemes"]!.AsObject().Select(p => p.Key).Order());
        var checker = new ResponseChecker(document);

        var bogus = Guid.NewGuid();
        var started = await checker.CheckAsync(daemon.Client, HttpMethod.Post, "/upgrade", "/upgrade", HttpStatusCode.Accepted, DaemonFixture.Json("{\"dryRun\": true}"));
        var jobId = started.GetProperty("jobId").GetString()!;
        await checker.CheckAsync(daemon.Client, HttpMethod.Post, "/upgrade", "/upgrade", HttpStatusCode.Conflict, DaemonFixture.Json("{\"dryRun\": true}"));
        await checker.CheckAsync(daemon.Client, HttpMethod.Get, "/host", "/host", HttpStatusCode.OK);
        await daemon.WaitForEndAsync(jobId);

        await checker.CheckAsync(daemon.Client, HttpMethod.Post, "/upgrade", "/upgrade", HttpStatusCode.BadRequest, DaemonFixture.Json("{\"dryrun\": true}"));
        await checker.CheckAsync(daemon.Client, HttpMethod.Get, "/jobs", "/jobs", HttpStatusCode.OK);
        await checker.CheckAsync(daemon.Client, HttpMethod.Get, $"/jobs/{jobId}", "/jobs/{jobId}", HttpStatusCode.OK);
        await checker.CheckAsync(daemon.Client, HttpMethod.Get, $"/jobs/{bogus}", "/jobs/{jobId}", HttpStatusCode.NotFound);
        await checker.CheckAsync(daemon.Client, HttpMethod.Get, "/jobs/not-a-guid", "/jobs/{jobId}", HttpStatusCode.BadRequest);
        await checker.CheckAsync(daemon.Client, HttpMethod.Get, $"/jobs/{jobId}/log?limit=5", "/jobs/{jobId}/log", HttpStatusCode.OK);
        await checker.CheckAsync(daemon.Client, HttpMethod.Get, $"/jobs/{jobId}/log?limit=0", "/jobs/{jobId}/log", HttpStatusCode.BadRequest);
        await checker.CheckAsync(daemon.Client, HttpMethod.Post, $"/jobs/{jobId}/cancel", "/jobs/{jobId}/cancel", HttpStatusCode.Conflict);
        await checker.CheckAsync(daemon.Client, HttpMethod.Post, $"/jobs/{jobId}/ticket", "/jobs/{jobId}/ticket", HttpStatusCode.OK);
        await checker.CheckAsync(daemon.Client, HttpMethod.Post, $"/jobs/{bogus}/ticket", "/jobs/{jobId}/ticket", HttpStatusCode.NotFound);
        var host = await checker.CheckAsync(daemon.Client, HttpMethod.Get, "/host", "/host", HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Object, host.GetProperty("pendingUpdates").ValueKind);
        await checker.CheckAsync(daemon.Client, HttpMethod.Get, "/host/apt-history?limit=3", "/host/apt-history", HttpStatusCode.OK);
        await checker.CheckAsync(daemon.Client, HttpMethod.Get, "/host/apt-history?limit=9999", "/host/apt-history", HttpStatusCode.BadRequest);
        await checker.CheckAsync(daemon.Anonymous, HttpMethod.Get, "/jobs", "/jobs", HttpStatusCode.Unauthorized);
        await checker.CheckAsync(daemon.Anonymous, HttpMethod.Get, "/metrics", "/metrics", HttpStatusCode.Unauthorized);
        await checker.CheckAsync(daemon.Anonymous, HttpMethod.Get, "/healthz", "/healthz", HttpStatusCode.OK);

        // A body the document does not describe is caught: the check itself can fail.
        Assert.Throws<Xunit.Sdk.XunitException>(() => checker.Check("/jobs/{jobId}", "get", "200", "application/json", JsonDocument.Parse("{\"jobId\":\"x\"}").RootElement));
    }

    private sealed class ResponseChecker(JsonNode document)
    {
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
}
