using System.Text.Json;

namespace PinsDaemon.Cli.Tests;

/// <summary><c>pins upgrade</c>: dry runs, upgrades, confirmation, outcomes and exit codes.</summary>
public sealed class UpgradeSpecs : IDisposable
{
    private readonly Pins _pins = new();

    [Fact]
    public async Task Should_follow_a_dry_run_printing_the_log_on_stdout_and_the_plan_on_stderr()
    {
        // The update phase starts before pins can have connected (it starts its own process,
        // then the job, then the stream): what a late follower is told is the current phase.
        // The rest waits until pins has shown it, so the order holds on any machine.
        using var script = new GatedScript(
            """
            N=0123456789abcdef0123456789abcdef
            s() { echo "pinsdaemon-status $N $*"; }
            echo "pinsdaemon: channel $N"
            s "mode dry-run"
            s "phase update"
            echo "Hit:1 http://deb.mirror.example/debian bookworm InRelease"
            s "apt dlstatus:1:50.0000:Retrieving file 1 of 2"
            """,
            """
            s "apt dlstatus:2:100.0000:Retrieving file 2 of 2"
            echo "Reading package lists..."
            s "phase simulate"
            echo "Inst zip [3.0-13] (3.0-13+deb12u1 Debian-Security:12/stable-security [amd64])"
            echo "Inst sl (5.02-1+b1 Debian:12.11/stable [amd64])"
            echo "Conf zip (3.0-13+deb12u1 Debian-Security:12/stable-security [amd64])"
            echo "Conf sl (5.02-1+b1 Debian:12.11/stable [amd64])"
            echo "1 upgraded, 1 newly installed, 0 to remove and 0 not upgraded."
            s "exit 0"
            """);
        await using var daemon = await DaemonFixture.StartAsync(script.Name);

        using var run = _pins.For(daemon).Start(null, "upgrade", "--dry-run", "--follow");
        await run.WaitForStderrAsync("pins: update");
        script.Open();
        var result = await run.WaitAsync();

        Assert.True(result.ExitCode == 0, result.ToString());
        var job = Assert.Single(await DaemonLog.JobsAsync(daemon));
        var jobId = job.GetProperty("jobId").GetString()!;
        Assert.Equal(await DaemonLog.TextsAsync(daemon, jobId), result.StdoutLines);
        Assert.Contains($"Started dry run {jobId}", result.Stderr);
        Assert.Contains("succeeded", result.Stderr);
        Assert.Contains("upgrade zip 3.0-13 -> 3.0-13+deb12u1 (Debian-Security:12/stable-security)", result.Stderr);
        Assert.Contains("install sl (new) -> 5.02-1+b1", result.Stderr);
        Assert.Contains("pins: update", result.Stderr);
    }

    [Fact]
    public async Task Should_ask_for_the_mode_and_autoremove_and_refuse_an_unknown_mode_as_a_usage_error()
    {
        await using var daemon = await DaemonFixture.StartAsync("channel-dry-run.sh");

        var unknown = await _pins.For(daemon).RunAsync("upgrade", "--dry-run", "--mode", "dist-upgrade");
        Assert.Equal(64, unknown.ExitCode);
        Assert.Contains("--mode is upgrade or full-upgrade", unknown.Stderr);
        Assert.Empty(await DaemonLog.JobsAsync(daemon));

        var result = await _pins.RunAsync("upgrade", "--dry-run", "--mode", "full-upgrade", "--autoremove", "--follow");
        Assert.True(result.ExitCode == 0, result.ToString());
        var job = Assert.Single(await DaemonLog.JobsAsync(daemon));
        Assert.Equal("full-upgrade", job.GetProperty("mode").GetString());
        Assert.True(job.GetProperty("autoremove").GetBoolean());
        Assert.Contains("(full-upgrade, autoremove)", result.Stderr);
    }

    [Fact]
    public async Task Should_print_the_log_as_json_lines_with_json()
    {
        await using var daemon = await DaemonFixture.StartAsync("channel-dry-run.sh");

        var result = await _pins.For(daemon).RunAsync("upgrade", "--dry-run", "--follow", "--json");

        Assert.Equal(0, result.ExitCode);
        var jobId = (await DaemonLog.JobsAsync(daemon))[0].GetProperty("jobId").GetString()!;
        var stored = await DaemonLog.LinesAsync(daemon, jobId);
        var printed = result.StdoutLines.Select(line => JsonDocument.Parse(line).RootElement).ToList();
        Assert.Equal(stored.Count, printed.Count);
        foreach (var (expected, actual) in stored.Zip(printed))
        {
            Assert.Equal("line", actual.GetProperty("type").GetString());
            Assert.Equal(expected.GetProperty("seq").GetInt64(), actual.GetProperty("seq").GetInt64());
            Assert.Equal(expected.GetProperty("stream").GetString(), actual.GetProperty("stream").GetString());
            Assert.Equal(expected.GetProperty("text").GetString(), actual.GetProperty("text").GetString());
            Assert.Equal(expected.GetProperty("time").GetDateTimeOffset(), actual.GetProperty("time").GetDateTimeOffset());
        }
    }

    [Fact]
    public async Task Should_start_a_job_and_print_only_its_id_without_follow()
    {
        await using var daemon = await DaemonFixture.StartAsync("channel-dry-run.sh");

        var result = await _pins.For(daemon).RunAsync("upgrade", "--dry-run");

        Assert.Equal(0, result.ExitCode);
        var jobId = Assert.Single(result.StdoutLines);
        Assert.Equal(jobId, (await DaemonLog.JobsAsync(daemon))[0].GetProperty("jobId").GetString());
        Assert.Contains($"pins logs {jobId} --follow", result.Stderr);

        await daemon.WaitForEndAsync(jobId);
        var json = await _pins.RunAsync("upgrade", "--dry-run", "--json");
        Assert.Equal(0, json.ExitCode);
        var accepted = JsonDocument.Parse(json.Stdout).RootElement;
        Assert.Equal("started", accepted.GetProperty("status").GetString());
        Assert.NotEqual(jobId, accepted.GetProperty("jobId").GetString());
    }

    [Fact]
    public async Task Should_refuse_to_upgrade_without_yes_when_there_is_no_terminal_to_ask_on()
    {
        await using var daemon = await DaemonFixture.StartAsync("channel-apply.sh");

        var result = await _pins.For(daemon).RunWithStdinAsync("y\n", "upgrade", "--follow");

        Assert.Equal(64, result.ExitCode);
        Assert.Contains("--yes", result.Stderr);
        Assert.Empty(await DaemonLog.JobsAsync(daemon));
    }

    [Fact]
    public async Task Should_upgrade_with_yes_and_exit_3_for_a_needed_reboot_only_with_exit_reboot()
    {
        await using var daemon = await DaemonFixture.StartAsync("channel-apply.sh");
        _pins.For(daemon);

        var plain = await _pins.RunAsync("upgrade", "--yes", "--follow");
        Assert.True(plain.ExitCode == 0, plain.ToString());
        var job = Assert.Single(await DaemonLog.JobsAsync(daemon));
        Assert.False(job.GetProperty("dryRun").GetBoolean());
        Assert.Contains("A reboot is required (by linux-image-amd64, libc6)", plain.Stderr);
        Assert.Contains("ssh.service", plain.Stderr);
        Assert.Contains("zip 3.0-13 -> 3.0-13+deb12u1", plain.Stderr);

        var withFlag = await _pins.RunAsync("upgrade", "--yes", "--follow", "--exit-reboot");
        Assert.Equal(3, withFlag.ExitCode);

        var jobId = job.GetProperty("jobId").GetString()!;
        Assert.Equal(3, (await _pins.RunAsync("show", jobId, "--exit-reboot")).ExitCode);
        Assert.Equal(0, (await _pins.RunAsync("show", jobId)).ExitCode);
    }

    [Fact]
    public async Task Should_exit_1_when_the_job_fails()
    {
        await using var daemon = await DaemonFixture.StartAsync("exit-3.sh");

        var result = await _pins.For(daemon).RunAsync("upgrade", "--dry-run", "--follow");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(["something went wrong"], result.StdoutLines);
        Assert.Contains("failed", result.Stderr);
    }

    [Fact]
    public async Task Should_exit_1_and_name_the_running_job_when_one_is_already_running()
    {
        await using var daemon = await DaemonFixture.StartAsync("slow.sh");
        var running = (await daemon.StartJobAsync()).GetProperty("jobId").GetString()!;

        var result = await _pins.For(daemon).RunAsync("upgrade", "--dry-run");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"pins logs {running} --follow", result.Stderr);
        Assert.Equal(string.Empty, result.Stdout);
    }

    [Fact]
    public async Task Should_cancel_a_running_job_and_exit_2_when_following_it()
    {
        await using var daemon = await DaemonFixture.StartAsync("cancellable.sh");
        _pins.For(daemon);
        var jobId = (await _pins.RunAsync("upgrade", "--dry-run")).StdoutLines.Single();
        using var follower = _pins.Start(null, "logs", jobId, "--follow");
        await follower.WaitForLinesAsync(1);

        var cancel = await _pins.RunAsync("cancel", jobId);

        Assert.True(cancel.ExitCode == 0, cancel.ToString());
        var followed = await follower.WaitAsync();
        Assert.Equal(2, followed.ExitCode);
        Assert.Contains("cancelled", followed.Stderr);
        Assert.Equal(await DaemonLog.TextsAsync(daemon, jobId), followed.StdoutLines);

        var again = await _pins.RunAsync("cancel", jobId);
        Assert.Equal(1, again.ExitCode);
    }

    public void Dispose() => _pins.Dispose();
}
