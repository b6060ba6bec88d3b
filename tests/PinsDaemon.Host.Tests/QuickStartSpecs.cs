using System.Net;
using System.Text.Json;
using PinsDaemon.DevClient;
using PinsDaemon.Host.Tests.TestSupport;

namespace PinsDaemon.Host.Tests;

/// <summary>The README's quick start: the demo script and the dev client, as a newcomer runs them.</summary>
public sealed class QuickStartSpecs
{
    private sealed record Run(int ExitCode, string Output, string Error);

    private static async Task<Run> ClientAsync(DaemonFixture daemon, params string[] args)
    {
        var environment = new Dictionary<string, string>
        {
            ["API_TOKEN"] = daemon.Token,
            ["PINSDAEMON_URL"] = daemon.BaseAddress.ToString(),
        };
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var exitCode = await DevClient.DevClient.RunAsync(args, name => environment.GetValueOrDefault(name), output, error, timeout.Token);
        return new Run(exitCode, output.ToString(), error.ToString());
    }

    private static async Task<string> StartAsync(DaemonFixture daemon, params string[] args)
    {
        var started = await ClientAsync(daemon, ["start", .. args]);
        Assert.Equal(0, started.ExitCode);
        return started.Output.Trim();
    }

    [Fact]
    public async Task Should_start_and_follow_a_dry_run_of_the_demo_script_with_the_dev_client()
    {
        await using var daemon = await DaemonFixture.StartAsync("fake-upgrade.sh");
        var jobId = await StartAsync(daemon);
        Assert.True(Guid.TryParse(jobId, out _), jobId);

        var followed = await ClientAsync(daemon, "follow", jobId);

        Assert.Equal(0, followed.ExitCode);
        Assert.Contains("Reading package lists...", followed.Output);
        Assert.Contains("Inst tzdata [2024a-0+deb12u1]", followed.Output);
        Assert.DoesNotContain("pinsdaemon-status", followed.Output);
        Assert.Contains($"job {jobId}: succeeded (exit code 0)", followed.Error);
        var job = await daemon.GetJobAsync(jobId);
        Assert.Equal(["tzdata", "sl"], job.GetProperty("plan").EnumerateArray().Select(p => p.GetProperty("package").GetString()));
    }

    [Fact]
    public async Task Should_report_upgraded_packages_a_reboot_and_a_restart_for_an_apply_of_the_demo_script()
    {
        await using var daemon = await DaemonFixture.StartAsync("fake-upgrade.sh");
        var jobId = await StartAsync(daemon, "--apply");
        Assert.Equal(0, (await ClientAsync(daemon, "follow", jobId)).ExitCode);

        var shown = await ClientAsync(daemon, "show", jobId);

        Assert.Equal(0, shown.ExitCode);
        var job = JsonDocument.Parse(shown.Output).RootElement;
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal(["tzdata", "sl"], job.GetProperty("upgraded").EnumerateArray().Select(p => p.GetProperty("package").GetString()));
        Assert.Equal(JsonValueKind.Null, job.GetProperty("upgraded")[1].GetProperty("from").ValueKind);
        Assert.True(job.GetProperty("rebootRequired").GetBoolean());
        Assert.Equal(["tzdata"], job.GetProperty("rebootRequiredPackages").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(["cron.service"], job.GetProperty("servicesNeedingRestart").EnumerateArray().Select(p => p.GetString()));
    }

    [Fact]
    public async Task Should_let_a_person_cancel_the_slowed_demo_script_before_install_and_get_409_during_it()
    {
        var directory = Directory.CreateTempSubdirectory("pinsdaemon-fake").FullName;
        try
        {
            var script = Path.Combine(directory, "fake-upgrade.sh");
            File.Copy(DaemonFixture.ScriptPath("fake-upgrade.sh"), script);
            File.SetUnixFileMode(script, File.GetUnixFileMode(DaemonFixture.ScriptPath("fake-upgrade.sh")));
            await File.WriteAllTextAsync(Path.Combine(directory, "fake-upgrade.delay"), "2\n");
            await using var daemon = await DaemonFixture.StartAsync("fake-upgrade.sh", $"--Upgrade:ScriptPath={script}");

            async Task WaitForPhaseAsync(string jobId, string phase) =>
                await Eventually.WaitUntilAsync(async () =>
                    (await daemon.GetJobAsync(jobId)).GetProperty("progress") is { ValueKind: JsonValueKind.Object } progress
                    && progress.GetProperty("phase").GetString() == phase);

            var first = await StartAsync(daemon, "--apply");
            await WaitForPhaseAsync(first, "download");
            Assert.Equal(0, (await ClientAsync(daemon, "cancel", first)).ExitCode);
            Assert.Equal("cancelled", (await daemon.WaitForEndAsync(first)).GetProperty("status").GetString());

            var second = await StartAsync(daemon, "--apply");
            var another = await ClientAsync(daemon, "start");
            Assert.Equal(1, another.ExitCode);
            Assert.StartsWith("409", another.Error);

            await WaitForPhaseAsync(second, "install");
            var refused = await ClientAsync(daemon, "cancel", second);
            Assert.Equal(1, refused.ExitCode);
            Assert.StartsWith("409", refused.Error);
            Assert.Equal("succeeded", (await daemon.WaitForEndAsync(second)).GetProperty("status").GetString());
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Should_say_what_is_missing_when_the_dev_client_has_no_token_or_a_bad_command()
    {
        using var error = new StringWriter();
        Assert.Equal(2, await DevClient.DevClient.RunAsync(["start"], _ => null, TextWriter.Null, error, CancellationToken.None));
        Assert.Contains("API_TOKEN", error.ToString());

        await using var daemon = await DaemonFixture.StartAsync("fake-upgrade.sh");
        var usage = await ClientAsync(daemon, "follow", "not-a-job");
        Assert.Equal(2, usage.ExitCode);
        Assert.Contains("usage:", usage.Error);
        Assert.Equal(HttpStatusCode.OK, (await daemon.Client.GetAsync("/jobs")).StatusCode);
    }
}
