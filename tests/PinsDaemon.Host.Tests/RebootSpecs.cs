using System.Net;
using System.Text.Json;
using PinsDaemon.Host.Tests.TestSupport;

namespace PinsDaemon.Host.Tests;

/// <summary>POST and DELETE /reboot against the real host, the root script replaced by tests/scripts/reboot.sh.</summary>
public sealed class RebootSpecs
{
    [Fact]
    public async Task Should_refuse_to_reboot_unless_the_owner_turned_it_on()
    {
        await using var daemon = await DaemonFixture.StartAsync("reboot.sh");
        foreach (var method in new[] { HttpMethod.Post, HttpMethod.Delete })
        {
            using var response = await daemon.Client.SendAsync(new HttpRequestMessage(method, "/reboot"));
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Contains("Host:AllowReboot", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        }

        using var anonymous = await daemon.Anonymous.PostAsync("/reboot", null);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public async Task Should_schedule_a_reboot_refuse_jobs_until_it_is_cancelled_and_refuse_it_while_a_job_runs()
    {
        await using var daemon = await DaemonFixture.StartAsync("reboot.sh", "--Host:AllowReboot=true");
        // Every answer here is also checked against the API document.
        var checker = await OpenApiChecker.LoadAsync(daemon);

        var scheduled = await checker.CheckAsync(daemon.Client, HttpMethod.Post, "/reboot", "/reboot", HttpStatusCode.Accepted);
        Assert.InRange(scheduled.GetProperty("rebootAt").GetDateTimeOffset() - DateTimeOffset.UtcNow, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(61));
        var host = await checker.CheckAsync(daemon.Client, HttpMethod.Get, "/host", "/host", HttpStatusCode.OK);
        Assert.Equal(scheduled.GetProperty("rebootAt").GetDateTimeOffset(), host.GetProperty("rebootScheduledAt").GetDateTimeOffset());
        Assert.True(host.GetProperty("rebootAllowed").GetBoolean());

        // A job now would be cut off by the reboot, and a second reboot request is one too many.
        using (var job = await daemon.Client.PostAsync("/upgrade", DaemonFixture.Json("{\"dryRun\": true}")))
        {
            Assert.Equal(HttpStatusCode.Conflict, job.StatusCode);
            Assert.Contains("DELETE /reboot", (await job.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        }

        await checker.CheckAsync(daemon.Client, HttpMethod.Post, "/reboot", "/reboot", HttpStatusCode.Conflict);
        var cancelled = await checker.CheckAsync(daemon.Client, HttpMethod.Delete, "/reboot", "/reboot", HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Null, cancelled.GetProperty("rebootAt").ValueKind);
        host = await checker.CheckAsync(daemon.Client, HttpMethod.Get, "/host", "/host", HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Null, host.GetProperty("rebootScheduledAt").ValueKind);

        // Jobs start again; while one runs, no reboot.
        var running = (await daemon.StartJobAsync()).GetProperty("jobId").GetString()!;
        using (var refused = await daemon.Client.PostAsync("/reboot", null))
        {
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            Assert.Equal(running, (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("jobId").GetString());
        }

        using var cancel = await daemon.Client.PostAsync($"/jobs/{running}/cancel", null);
        Assert.True(cancel.IsSuccessStatusCode, $"cancel answered {(int)cancel.StatusCode}");
        Assert.Equal("cancelled", (await daemon.WaitForEndAsync(running)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Should_say_so_when_the_root_script_cannot_reboot_and_schedule_nothing()
    {
        await using var daemon = await DaemonFixture.StartAsync("reboot.sh", "--Host:AllowReboot=true", "--Upgrade:ScriptPath=/nonexistent/system-upgrade.sh");
        using var failed = await daemon.Client.PostAsync("/reboot", null);
        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        Assert.Equal("application/problem+json", failed.Content.Headers.ContentType!.MediaType);

        // Nothing is scheduled: jobs are not held back.
        using var job = await daemon.Client.PostAsync("/upgrade", DaemonFixture.Json("{\"dryRun\": true}"));
        Assert.Equal(HttpStatusCode.Accepted, job.StatusCode);
    }
}
