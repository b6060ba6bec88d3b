using System.Net;
using System.Text.Json;
using PinsDaemon.Host.Tests.TestSupport;

namespace PinsDaemon.Host.Tests;

public sealed class UpgradeApiSpecs
{
    [Fact]
    public async Task Should_accept_an_upgrade_and_report_it_until_it_succeeds()
    {
        await using var daemon = await DaemonFixture.StartAsync("mixed-output.sh");

        using var response = await daemon.Client.PostAsync("/upgrade", DaemonFixture.Json("{\"dryRun\": true}"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var jobId = body.GetProperty("jobId").GetString()!;
        Assert.True(Guid.TryParse(jobId, out _));
        Assert.Equal("started", body.GetProperty("status").GetString());
        Assert.True(body.GetProperty("dryRun").GetBoolean());
        Assert.Equal($"/jobs/{jobId}", body.GetProperty("statusUrl").GetString());
        Assert.Equal($"/logs/{jobId}", body.GetProperty("logsUrl").GetString());
        Assert.Equal($"/jobs/{jobId}", response.Headers.Location!.OriginalString);

        var job = await daemon.WaitForEndAsync(jobId);
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal(0, job.GetProperty("exitCode").GetInt32());
        Assert.Equal(5, job.GetProperty("lineCount").GetInt64());
        Assert.True(job.GetProperty("dryRun").GetBoolean());
        foreach (var field in new[] { "createdAt", "startedAt", "finishedAt" })
        {
            Assert.True(DateTimeOffset.TryParse(job.GetProperty(field).GetString(), out _), field);
        }
    }

    [Fact]
    public async Task Should_run_the_mode_and_autoremove_asked_for_and_report_them_with_removals()
    {
        await using var daemon = await DaemonFixture.StartAsync("modes.sh");

        // The default: an upgrade, nothing removed afterwards.
        var plain = await daemon.StartJobAsync();
        Assert.Equal("upgrade", plain.GetProperty("mode").GetString());
        Assert.False(plain.GetProperty("autoremove").GetBoolean());
        var planned = await daemon.WaitForEndAsync(plain.GetProperty("jobId").GetString()!);
        Assert.Equal("upgrade", planned.GetProperty("mode").GetString());
        Assert.Contains("args: --dry-run", await LogTextAsync(daemon, planned));
        Assert.DoesNotContain("--full-upgrade", await LogTextAsync(daemon, planned));
        var removal = Assert.Single(planned.GetProperty("plan").EnumerateArray(), e => e.GetProperty("action").GetString() == "remove");
        Assert.Equal("libold1", removal.GetProperty("package").GetString());
        Assert.Equal(JsonValueKind.Null, removal.GetProperty("to").ValueKind);

        using var response = await daemon.Client.PostAsync("/upgrade", DaemonFixture.Json("{\"dryRun\": false, \"mode\": \"full-upgrade\", \"autoremove\": true}"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var accepted = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("full-upgrade", accepted.GetProperty("mode").GetString());
        Assert.True(accepted.GetProperty("autoremove").GetBoolean());

        var job = await daemon.WaitForEndAsync(accepted.GetProperty("jobId").GetString()!);
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal("full-upgrade", job.GetProperty("mode").GetString());
        Assert.True(job.GetProperty("autoremove").GetBoolean());
        // The script got the fixed words, in the order sudoers spells them.
        Assert.Contains("args: --apply --full-upgrade --autoremove", await LogTextAsync(daemon, job));
        var removed = Assert.Single(job.GetProperty("removed").EnumerateArray());
        Assert.Equal("libold1", removed.GetProperty("package").GetString());
        Assert.Equal("1.2-3", removed.GetProperty("from").GetString());
        Assert.Equal(2, job.GetProperty("upgraded").GetArrayLength());
        Assert.Contains("1 package removed", job.GetProperty("message").GetString());
        Assert.Contains("start upgrade", job.GetProperty("audit")[0].GetProperty("action").GetString());
    }

    private static async Task<string> LogTextAsync(DaemonFixture daemon, JsonElement job)
    {
        var lines = await daemon.Client.GetFromJsonAsync<JsonElement>($"/jobs/{job.GetProperty("jobId").GetString()}/log");
        return string.Join("\n", lines.EnumerateArray().Select(line => line.GetProperty("text").GetString()));
    }

    [Fact]
    public async Task Should_report_a_failing_script_as_failed_with_its_exit_code()
    {
        await using var daemon = await DaemonFixture.StartAsync("exit-3.sh");
        var jobId = (await daemon.StartJobAsync(dryRun: false)).GetProperty("jobId").GetString()!;

        var job = await daemon.WaitForEndAsync(jobId);
        Assert.Equal("failed", job.GetProperty("status").GetString());
        Assert.Equal(3, job.GetProperty("exitCode").GetInt32());
        Assert.False(job.GetProperty("dryRun").GetBoolean());
    }

    [Fact]
    public async Task Should_fail_a_job_whose_script_cannot_start_and_keep_serving()
    {
        await using var daemon = await DaemonFixture.StartAsync("mixed-output.sh", "--Upgrade:ScriptPath=/nonexistent/system-upgrade.sh");
        var jobId = (await daemon.StartJobAsync()).GetProperty("jobId").GetString()!;

        var job = await daemon.WaitForEndAsync(jobId);
        Assert.Equal("failed", job.GetProperty("status").GetString());
        // The run's wrapper records what bash said: 127, command not found.
        Assert.Equal(127, job.GetProperty("exitCode").GetInt32());
        Assert.Equal("startFailed", job.GetProperty("reason").GetString());
        Assert.Contains("could not be executed", job.GetProperty("message").GetString());

        var second = await daemon.StartJobAsync();
        Assert.NotEqual(jobId, second.GetProperty("jobId").GetString());
    }

    [Fact]
    public async Task Should_refuse_a_second_job_while_one_runs_naming_the_running_job()
    {
        await using var daemon = await DaemonFixture.StartAsync("slow.sh");
        var running = (await daemon.StartJobAsync()).GetProperty("jobId").GetString();

        using var response = await daemon.Client.PostAsync("/upgrade", DaemonFixture.Json("{\"dryRun\": false}"));
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(running, problem.GetProperty("jobId").GetString());
        Assert.Equal(409, problem.GetProperty("status").GetInt32());
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("not json", "not valid JSON")]
    [InlineData("{\"dryRun\": \"true\"}", "true or false")]
    [InlineData("{\"dryRun\": 1}", "true or false")]
    [InlineData("{\"dryRun\": null}", "true or false")]
    [InlineData("{}", "missing")]
    [InlineData("[true]", "array")]
    [InlineData("null", "null")]
    [InlineData("{\"dryrun\": true}", "Unknown member 'dryrun'")]
    [InlineData("{\"dryRun\": true, \"extra\": 1}", "Unknown member 'extra'")]
    [InlineData("{\"dryRun\": true, \"dryRun\": false}", "twice")]
    [InlineData("{\"dryRun\": true} {}", "after the JSON object")]
    [InlineData("{\"dryRun\": true, \"mode\": \"dist-upgrade\"}", "Unknown mode 'dist-upgrade'")]
    [InlineData("{\"dryRun\": true, \"mode\": \"Full-Upgrade\"}", "Unknown mode")]
    [InlineData("{\"dryRun\": true, \"mode\": 1}", "'mode' must be")]
    [InlineData("{\"dryRun\": true, \"mode\": null}", "'mode' must be")]
    [InlineData("{\"dryRun\": true, \"mode\": \"upgrade\", \"mode\": \"full-upgrade\"}", "'mode' appears twice")]
    [InlineData("{\"dryRun\": true, \"autoremove\": \"yes\"}", "'autoremove' must be true or false")]
    [InlineData("{\"mode\": \"full-upgrade\"}", "'dryRun' is missing")]
    public async Task Should_reject_a_body_that_is_not_exactly_a_dryRun_boolean(string body, string expected)
    {
        await using var daemon = await DaemonFixture.StartAsync("mixed-output.sh");

        using var response = await daemon.Client.PostAsync("/upgrade", DaemonFixture.Json(body));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var detail = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString();
        Assert.Contains(expected, detail);
        Assert.Contains("{\"dryRun\": true}", detail);

        // Nothing was started.
        var jobs = await daemon.Client.GetFromJsonAsync<JsonElement>("/jobs");
        Assert.Equal(0, jobs.GetArrayLength());
    }

    public static TheoryData<byte[]> MemberNamesThatAreNotText() =>
    [
        [.. "{\""u8, 0xFF, 0xFE, .. "\": true}"u8],
        [.. "{\"dry"u8, 0xC3, .. "Run\": true}"u8],
        "{\"\\ud800\":true}"u8.ToArray(),
        "{\"a\\udc00b\": false}"u8.ToArray(),
    ];

    [Theory]
    [MemberData(nameof(MemberNamesThatAreNotText))]
    public async Task Should_refuse_a_member_name_of_invalid_utf8_or_a_lone_surrogate_with_400_and_audit_it(byte[] body)
    {
        await using var daemon = await DaemonFixture.StartAsync("mixed-output.sh");

        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var response = await daemon.Client.PostAsync("/upgrade", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("{\"dryRun\": true}", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        Assert.Equal(0, (await daemon.Client.GetFromJsonAsync<JsonElement>("/jobs")).GetArrayLength());
        Assert.Contains(daemon.Logs.Lines, l => l.Contains(" PinsDaemon.Audit: Start refused for 127.0.0.1: invalid body"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("application/json; charset=utf-16")]
    [InlineData("application/jsonx")]
    public async Task Should_refuse_a_body_that_is_not_sent_as_json_with_415_and_audit_it(string? contentType)
    {
        await using var daemon = await DaemonFixture.StartAsync("mixed-output.sh");
        using var content = new ByteArrayContent("{\"dryRun\": true}"u8.ToArray());
        if (contentType is not null)
        {
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        using var response = await daemon.Client.PostAsync("/upgrade", content);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("Content-Type: application/json", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        Assert.Equal(0, (await daemon.Client.GetFromJsonAsync<JsonElement>("/jobs")).GetArrayLength());
        Assert.Contains(daemon.Logs.Lines, l => l.Contains(" PinsDaemon.Audit: Start refused for 127.0.0.1: Content-Type"));
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("Application/JSON; charset=\"UTF-8\"")]
    public async Task Should_accept_json_with_or_without_a_utf8_charset(string contentType)
    {
        await using var daemon = await DaemonFixture.StartAsync("mixed-output.sh");
        using var content = new ByteArrayContent("{\"dryRun\": true}"u8.ToArray());
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);

        using var response = await daemon.Client.PostAsync("/upgrade", content);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Fact]
    public async Task Should_refuse_an_oversized_body_with_413()
    {
        await using var daemon = await DaemonFixture.StartAsync("mixed-output.sh");
        var body = "{\"dryRun\": true, \"pad\": \"" + new string('x', 10_000) + "\"}";

        using var response = await daemon.Client.PostAsync("/upgrade", DaemonFixture.Json(body));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task Should_answer_404_for_an_unknown_job_and_400_for_an_id_that_is_not_a_guid()
    {
        await using var daemon = await DaemonFixture.StartAsync("mixed-output.sh");

        using var unknown = await daemon.Client.GetAsync($"/jobs/{Guid.NewGuid()}");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType!.MediaType);

        foreach (var bad in new[] { "123", "..%2F..%2Fetc%2Fpasswd", new string('a', 500), "00000000-0000-0000-0000-000000000000" })
        {
            using var response = await daemon.Client.GetAsync($"/jobs/{bad}");
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        }

        // Absurd URLs stop at Kestrel's request-line limit.
        using var huge = await daemon.Client.GetAsync($"/jobs/{new string('a', 5000)}");
        Assert.Equal(HttpStatusCode.RequestUriTooLong, huge.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await daemon.Client.GetAsync("/jobs")).StatusCode);
    }

    [Theory]
    [InlineData("GET", "/jobs/{0}")]
    [InlineData("GET", "/jobs/{0}/log")]
    [InlineData("POST", "/jobs/{0}/cancel")]
    [InlineData("POST", "/jobs/{0}/ticket")]
    [InlineData("GET", "/logs/{0}")]
    public async Task Should_answer_every_route_that_names_a_job_alike_for_an_id_that_is_not_a_guid(string method, string route)
    {
        await using var daemon = await DaemonFixture.StartAsync("mixed-output.sh");
        foreach (var bad in new[] { "123", "..%2F..%2Fetc%2Fpasswd", "00000000-0000-0000-0000-000000000000", "{3f2504e0-4f89-41d3-9a0c-0305e82c3301}" })
        {
            using var response = await daemon.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), string.Format(route, bad)));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("Invalid job id", problem.GetProperty("title").GetString());
            Assert.Contains("GUID", problem.GetProperty("detail").GetString());
        }

        // Without the token the id is not even looked at.
        using var anonymous = await daemon.Anonymous.SendAsync(new HttpRequestMessage(new HttpMethod(method), string.Format(route, "123")));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public async Task Should_list_jobs_newest_first()
    {
        await using var daemon = await DaemonFixture.StartAsync("exit-3.sh");
        var first = (await daemon.StartJobAsync()).GetProperty("jobId").GetString()!;
        await daemon.WaitForEndAsync(first);
        var second = (await daemon.StartJobAsync()).GetProperty("jobId").GetString()!;
        await daemon.WaitForEndAsync(second);

        var jobs = await daemon.Client.GetFromJsonAsync<JsonElement>("/jobs");
        Assert.Equal([second, first], jobs.EnumerateArray().Select(j => j.GetProperty("jobId").GetString()));
        Assert.All(jobs.EnumerateArray(), j => Assert.Equal("failed", j.GetProperty("status").GetString()));
    }

    [Fact]
    public async Task Should_serve_health_without_a_token_and_reveal_nothing()
    {
        await using var daemon = await DaemonFixture.StartAsync("mixed-output.sh");

        using var response = await daemon.Anonymous.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ok", await response.Content.ReadAsStringAsync());
    }
}
