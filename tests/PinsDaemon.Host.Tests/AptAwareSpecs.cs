using System.Net;
using System.Text.Json;
using PinsDaemon.Cli.Tests.TestSupport;
using PinsDaemon.Host.Tests.TestSupport;

namespace PinsDaemon.Host.Tests;

/// <summary>Progress, plan, result, failure reasons, cancel and timeout, with scripts that speak the status channel.</summary>
public sealed class AptAwareSpecs
{
    [Fact]
    public async Task Should_stream_progress_frames_between_lines_and_record_the_plan()
    {
        // channel-dry-run.sh, held after its first download step until this client has had a
        // progress frame, so the client joins a running job however slowly it connects.
        var script = await File.ReadAllLinesAsync(DaemonFixture.ScriptPath("channel-dry-run.sh"));
        var held = Array.FindIndex(script, line => line.Contains("Retrieving file 1 of 2", StringComparison.Ordinal));
        using var gated = new GatedScript(string.Join('\n', script[1..(held + 1)]), string.Join('\n', script[(held + 1)..]));
        await using var daemon = await DaemonFixture.StartAsync(gated.Name);
        var jobId = (await daemon.StartJobAsync(dryRun: true)).GetProperty("jobId").GetString()!;
        using var socket = await daemon.ConnectAsync($"/logs/{jobId}");
        var read = await DaemonFixture.ReadAllAsync(socket, onFrame: frame =>
        {
            if (frame.GetProperty("type").GetString() == "progress")
            {
                gated.Open();
            }
        });

        // Status lines are not log lines: no seq, not in the log, and the forged one stays a plain line.
        Assert.Equal(Enumerable.Range(1, read.Lines.Count).Select(n => (long)n), read.Lines.Select(l => l.GetProperty("seq").GetInt64()));
        Assert.DoesNotContain(read.Lines, l => l.GetProperty("text").GetString()!.Contains("0123456789abcdef0123456789abcdef"));
        Assert.Contains(read.Lines, l => l.GetProperty("text").GetString()!.StartsWith("pinsdaemon-status ffff", StringComparison.Ordinal));

        var progress = read.Frames.Where(f => f.GetProperty("type").GetString() == "progress").ToList();
        Assert.NotEmpty(progress);
        Assert.All(progress, p => Assert.False(p.TryGetProperty("seq", out _)));
        Assert.All(progress, p => Assert.Contains(p.GetProperty("phase").GetString(), new[] { "update", "download", "install" }));
        // Progress is state: a client that joins late gets the latest, not every step before it.
        Assert.Contains(progress, p => p.GetProperty("message").GetString() is "Retrieving file 1 of 2" or "Retrieving file 2 of 2" or "Simulating the upgrade: nothing is changed");

        var job = await daemon.WaitForEndAsync(jobId);
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        var plan = job.GetProperty("plan").EnumerateArray().ToList();
        Assert.Equal(2, plan.Count);
        var zip = plan.Single(p => p.GetProperty("package").GetString() == "zip");
        Assert.Equal("3.0-13", zip.GetProperty("from").GetString());
        Assert.Equal("3.0-13+deb12u1", zip.GetProperty("to").GetString());
        Assert.Equal("Debian-Security:12/stable-security", zip.GetProperty("origin").GetString());
        Assert.Equal("amd64", zip.GetProperty("arch").GetString());
        Assert.Equal("upgrade", zip.GetProperty("action").GetString());
        var sl = plan.Single(p => p.GetProperty("package").GetString() == "sl");
        Assert.Equal(JsonValueKind.Null, sl.GetProperty("from").ValueKind);
        Assert.Equal("install", sl.GetProperty("action").GetString());
        Assert.Equal(JsonValueKind.Null, job.GetProperty("upgraded").ValueKind);
        Assert.Equal(JsonValueKind.Null, job.GetProperty("progress").ValueKind);
    }

    [Fact]
    public async Task Should_record_what_an_apply_changed_and_whether_a_reboot_is_needed()
    {
        await using var daemon = await DaemonFixture.StartAsync("channel-apply.sh");
        var jobId = (await daemon.StartJobAsync(dryRun: false)).GetProperty("jobId").GetString()!;

        var job = await daemon.WaitForEndAsync(jobId);
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        var upgraded = job.GetProperty("upgraded").EnumerateArray().ToList();
        Assert.Equal(2, upgraded.Count);
        Assert.Equal("3.0-13", upgraded[0].GetProperty("from").GetString());
        Assert.Equal("3.0-13+deb12u1", upgraded[0].GetProperty("to").GetString());
        Assert.Equal(JsonValueKind.Null, upgraded[1].GetProperty("from").ValueKind);
        Assert.True(job.GetProperty("rebootRequired").GetBoolean());
        Assert.Equal(["linux-image-amd64", "libc6"], job.GetProperty("rebootRequiredPackages").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(["ssh.service"], job.GetProperty("servicesNeedingRestart").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(JsonValueKind.Null, job.GetProperty("plan").ValueKind);
        Assert.Contains("reboot", job.GetProperty("message").GetString());
    }

    [Theory]
    [InlineData("lock-held.sh", "lockHeld")]
    [InlineData("update-failed.sh", "updateFailed")]
    [InlineData("releaseinfo.sh", "releaseInfoChanged")]
    [InlineData("repair-failed.sh", "dpkgRepairFailed")]
    public async Task Should_end_each_failure_with_its_reason_and_an_actionable_message(string script, string reason)
    {
        await using var daemon = await DaemonFixture.StartAsync(script);
        var jobId = (await daemon.StartJobAsync(dryRun: false)).GetProperty("jobId").GetString()!;

        var job = await daemon.WaitForEndAsync(jobId);
        Assert.Equal("failed", job.GetProperty("status").GetString());
        Assert.Equal(reason, job.GetProperty("reason").GetString());
        Assert.True(job.GetProperty("message").GetString()!.Length > 40);
    }

    [Fact]
    public async Task Should_report_sudo_refusing_the_script()
    {
        await using var daemon = await DaemonFixture.StartAsync(
            "mixed-output.sh", "--Upgrade:UseSudo=true", $"--Upgrade:SudoPath={DaemonFixture.ScriptPath("fake-sudo.sh")}", "--Upgrade:ScriptPath=/nonexistent/system-upgrade.sh");
        var jobId = (await daemon.StartJobAsync()).GetProperty("jobId").GetString()!;

        var job = await daemon.WaitForEndAsync(jobId);
        Assert.Equal("failed", job.GetProperty("status").GetString());
        Assert.Equal("sudoRefused", job.GetProperty("reason").GetString());
        Assert.Contains("sudoers", job.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Should_cancel_a_job_that_is_still_updating()
    {
        await using var daemon = await DaemonFixture.StartAsync("cancellable.sh");
        var jobId = (await daemon.StartJobAsync(dryRun: false)).GetProperty("jobId").GetString()!;
        await Eventually.WaitUntilAsync(async () => (await daemon.GetJobAsync(jobId)).GetProperty("lineCount").GetInt64() == 1);
        var updating = await daemon.GetJobAsync(jobId);
        Assert.Equal("update", updating.GetProperty("progress").GetProperty("phase").GetString());
        Assert.True(updating.GetProperty("cancellable").GetBoolean());

        using var response = await daemon.Client.PostAsync($"/jobs/{jobId}/cancel", null);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        // Asked once: a second cancel has nothing left to do.
        Assert.False((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("cancellable").GetBoolean());

        var job = await daemon.WaitForEndAsync(jobId);
        Assert.Equal("cancelled", job.GetProperty("status").GetString());
        Assert.False(job.GetProperty("cancellable").GetBoolean());
        Assert.Equal("cancelled", job.GetProperty("reason").GetString());
        Assert.Contains(job.GetProperty("audit").EnumerateArray(), a => a.GetProperty("action").GetString() == "cancel" && a.GetProperty("outcome").GetString() == "accepted");

        // Over: cancelling again is refused, and a new job may start.
        using var again = await daemon.Client.PostAsync($"/jobs/{jobId}/cancel", null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        await daemon.StartJobAsync();
    }

    [Fact]
    public async Task Should_refuse_to_cancel_once_dpkg_is_changing_the_system()
    {
        // In dpkg's install phase until the test has tried to cancel.
        using var script = new GatedScript(
            """
            N=0123456789abcdef0123456789abcdef
            s() { echo "pinsdaemon-status $N $*"; }
            trap 's cancel-refused' TERM
            echo "pinsdaemon: channel $N"
            s "phase install"
            echo "Unpacking zip (3.0-13+deb12u1) over (3.0-13) ..."
            """,
            """
            echo "Setting up zip (3.0-13+deb12u1) ..."
            s "exit 0"
            """);
        await using var daemon = await DaemonFixture.StartAsync(script.Name);
        var jobId = (await daemon.StartJobAsync(dryRun: false)).GetProperty("jobId").GetString()!;
        await Eventually.WaitUntilAsync(async () => (await daemon.GetJobAsync(jobId)).GetProperty("lineCount").GetInt64() == 1);
        var installing = await daemon.GetJobAsync(jobId);
        Assert.Equal(("running", false), (installing.GetProperty("status").GetString(), installing.GetProperty("cancellable").GetBoolean()));

        using var response = await daemon.Client.PostAsync($"/jobs/{jobId}/cancel", null);
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("dpkg", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());

        script.Open();
        var job = await daemon.WaitForEndAsync(jobId);
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Contains(job.GetProperty("audit").EnumerateArray(), a => a.GetProperty("outcome").GetString()!.StartsWith("refused", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Should_answer_cancel_of_unknown_and_malformed_jobs()
    {
        await using var daemon = await DaemonFixture.StartAsync("mixed-output.sh");
        Assert.Equal(HttpStatusCode.NotFound, (await daemon.Client.PostAsync($"/jobs/{Guid.NewGuid()}/cancel", null)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await daemon.Client.PostAsync("/jobs/nope/cancel", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await daemon.Anonymous.PostAsync($"/jobs/{Guid.NewGuid()}/cancel", null)).StatusCode);
    }

    [Fact]
    public async Task Should_time_out_a_stuck_job_the_safe_way()
    {
        await using var daemon = await DaemonFixture.StartAsync("cancellable.sh", "--Upgrade:Timeout=00:00:01");
        var jobId = (await daemon.StartJobAsync(dryRun: false)).GetProperty("jobId").GetString()!;

        var job = await daemon.WaitForEndAsync(jobId);
        Assert.Equal("timedOut", job.GetProperty("status").GetString());
        Assert.Equal("timedOut", job.GetProperty("reason").GetString());
        Assert.Contains("Upgrade:Timeout", job.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Should_warn_about_a_job_that_has_printed_nothing_for_a_while()
    {
        await using var daemon = await DaemonFixture.StartAsync("cancellable.sh", "--Upgrade:IdleWarning=00:00:01");
        var jobId = (await daemon.StartJobAsync(dryRun: false)).GetProperty("jobId").GetString()!;

        await Eventually.WaitUntilAsync(async () => (await daemon.GetJobAsync(jobId)).GetProperty("warning").ValueKind == JsonValueKind.String);
        Assert.Contains("No output", (await daemon.GetJobAsync(jobId)).GetProperty("warning").GetString());
        await daemon.Client.PostAsync($"/jobs/{jobId}/cancel", null);
        var job = await daemon.WaitForEndAsync(jobId);
        Assert.Equal(JsonValueKind.Null, job.GetProperty("warning").ValueKind);
    }
}
