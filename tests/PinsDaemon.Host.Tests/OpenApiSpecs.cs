using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
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
        var checker = new OpenApiChecker(document);

        var bogus = Guid.NewGuid();
        var started = await checker.CheckAsync(daemon.Client, HttpMethod.Post, "/upgrade", "/upgrade", HttpStatusCode.Accepted, DaemonFixture.Json("{\"dryRun\": true}"));
        var jobId = started.GetProperty("jobId").GetString()!;
        await checker.CheckAsync(daemon.Client, HttpMethod.Post, "/upgrade", "/upgrade", HttpStatusCode.Conflict, DaemonFixture.Json("{\"dryRun\": true}"));
        await checker.CheckAsync(daemon.Client, HttpMethod.Get, "/host", "/host", HttpStatusCode.OK);
        await daemon.WaitForEndAsync(jobId);

        await checker.CheckAsync(daemon.Client, HttpMethod.Post, "/upgrade", "/upgrade", HttpStatusCode.BadRequest, DaemonFixture.Json("{\"dryrun\": true}"));
        await checker.CheckAsync(daemon.Client, HttpMethod.Post, "/upgrade", "/upgrade", HttpStatusCode.BadRequest, DaemonFixture.Json("{\"dryRun\": true, \"mode\": \"dist-upgrade\"}"));
        var full = await checker.CheckAsync(daemon.Client, HttpMethod.Post, "/upgrade", "/upgrade", HttpStatusCode.Accepted, DaemonFixture.Json("{\"dryRun\": true, \"mode\": \"full-upgrade\", \"autoremove\": true}"));
        await daemon.WaitForEndAsync(full.GetProperty("jobId").GetString()!);
        await checker.CheckAsync(daemon.Client, HttpMethod.Get, "/jobs", "/jobs", HttpStatusCode.OK);
        var job = await checker.CheckAsync(daemon.Client, HttpMethod.Get, $"/jobs/{jobId}", "/jobs/{jobId}", HttpStatusCode.OK);
        Assert.Equal("detached", job.GetProperty("supervisor").GetString());
        Assert.Equal("api", job.GetProperty("trigger").GetString());
        await checker.CheckAsync(daemon.Client, HttpMethod.Get, $"/jobs/{bogus}", "/jobs/{jobId}", HttpStatusCode.NotFound);
        await checker.CheckAsync(daemon.Client, HttpMethod.Get, "/jobs/not-a-guid", "/jobs/{jobId}", HttpStatusCode.BadRequest);
        await checker.CheckAsync(daemon.Client, HttpMethod.Get, $"/jobs/{jobId}/log?limit=5", "/jobs/{jobId}/log", HttpStatusCode.OK);
        await checker.CheckAsync(daemon.Client, HttpMethod.Get, $"/jobs/{jobId}/log?limit=0", "/jobs/{jobId}/log", HttpStatusCode.BadRequest);
        await checker.CheckAsync(daemon.Client, HttpMethod.Post, $"/jobs/{jobId}/cancel", "/jobs/{jobId}/cancel", HttpStatusCode.Conflict);
        await checker.CheckAsync(daemon.Client, HttpMethod.Post, $"/jobs/{jobId}/ticket", "/jobs/{jobId}/ticket", HttpStatusCode.OK);
        await checker.CheckAsync(daemon.Client, HttpMethod.Post, $"/jobs/{bogus}/ticket", "/jobs/{jobId}/ticket", HttpStatusCode.NotFound);
        var host = await checker.CheckAsync(daemon.Client, HttpMethod.Get, "/host", "/host", HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Object, host.GetProperty("pendingUpdates").ValueKind);
        Assert.Equal(JsonValueKind.Null, host.GetProperty("rebootScheduledAt").ValueKind);
        Assert.False(host.GetProperty("rebootAllowed").GetBoolean());
        await checker.CheckAsync(daemon.Client, HttpMethod.Get, "/host/apt-history?limit=3", "/host/apt-history", HttpStatusCode.OK);
        await checker.CheckAsync(daemon.Client, HttpMethod.Get, "/host/apt-history?limit=9999", "/host/apt-history", HttpStatusCode.BadRequest);
        await checker.CheckAsync(daemon.Client, HttpMethod.Post, "/reboot", "/reboot", HttpStatusCode.Forbidden);
        await checker.CheckAsync(daemon.Client, HttpMethod.Delete, "/reboot", "/reboot", HttpStatusCode.Forbidden);
        await checker.CheckAsync(daemon.Anonymous, HttpMethod.Get, "/jobs", "/jobs", HttpStatusCode.Unauthorized);
        await checker.CheckAsync(daemon.Anonymous, HttpMethod.Get, "/metrics", "/metrics", HttpStatusCode.Unauthorized);
        await checker.CheckAsync(daemon.Anonymous, HttpMethod.Get, "/healthz", "/healthz", HttpStatusCode.OK);

        // A body the document does not describe is caught: the check itself can fail, also on a
        // reason or supervisor outside the lists clients match on.
        Assert.Throws<Xunit.Sdk.XunitException>(() => checker.Check("/jobs/{jobId}", "get", "200", "application/json", JsonDocument.Parse("{\"jobId\":\"x\"}").RootElement));
        foreach (var (member, value) in new[] { ("reason", "lostTrack"), ("supervisor", "cron"), ("mode", "dist-upgrade"), ("trigger", "cron") })
        {
            var changed = JsonNode.Parse(job.GetRawText())!;
            changed[member] = value;
            Assert.Throws<Xunit.Sdk.XunitException>(() => checker.Check("/jobs/{jobId}", "get", "200", "application/json", JsonDocument.Parse(changed.ToJsonString()).RootElement));
        }
    }
}
