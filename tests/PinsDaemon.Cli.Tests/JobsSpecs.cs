using System.Text.Json;

namespace PinsDaemon.Cli.Tests;

/// <summary><c>pins jobs</c>, <c>pins show</c> and <c>pins logs</c> without following.</summary>
public sealed class JobsSpecs : IDisposable
{
    private readonly Pins _pins = new();

    [Fact]
    public async Task Should_list_jobs_including_those_started_by_other_clients()
    {
        await using var daemon = await DaemonFixture.StartAsync("channel-dry-run.sh");
        var jobId = (await daemon.StartJobAsync()).GetProperty("jobId").GetString()!;
        await daemon.WaitForEndAsync(jobId);

        var plain = await _pins.For(daemon).RunAsync("jobs");
        Assert.Equal(0, plain.ExitCode);
        var fields = Assert.Single(plain.StdoutLines).Split('\t');
        Assert.Equal([jobId, "succeeded", "dry run"], fields[..3]);

        var json = await _pins.RunAsync("jobs", "--json");
        var job = Assert.Single(JsonDocument.Parse(json.Stdout).RootElement.EnumerateArray());
        Assert.Equal(jobId, job.GetProperty("jobId").GetString());
        Assert.Equal(2, job.GetProperty("plan").GetArrayLength());
    }

    [Fact]
    public async Task Should_show_a_job_and_exit_with_its_outcome()
    {
        await using var daemon = await DaemonFixture.StartAsync("exit-3.sh");
        var jobId = (await daemon.StartJobAsync()).GetProperty("jobId").GetString()!;
        await daemon.WaitForEndAsync(jobId);

        var shown = await _pins.For(daemon).RunAsync("show", jobId);
        Assert.Equal(1, shown.ExitCode);
        Assert.Contains($"job: {jobId}", shown.StdoutLines);
        Assert.Contains("status: failed", shown.StdoutLines);
        Assert.Contains("exit code: 3", shown.StdoutLines);

        var json = await _pins.RunAsync("show", jobId, "--json");
        Assert.Equal(1, json.ExitCode);
        var job = JsonDocument.Parse(json.Stdout).RootElement;
        Assert.Equal("failed", job.GetProperty("status").GetString());
        Assert.Equal(3, job.GetProperty("exitCode").GetInt32());

        var missing = await _pins.RunAsync("show", Guid.NewGuid().ToString());
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("There is no job", missing.Stderr);
    }

    [Fact]
    public async Task Should_print_the_stored_log_after_a_given_line()
    {
        await using var daemon = await DaemonFixture.StartAsync("many-lines.sh");
        var jobId = (await daemon.StartJobAsync()).GetProperty("jobId").GetString()!;
        await daemon.WaitForEndAsync(jobId);
        var stored = await DaemonLog.TextsAsync(daemon, jobId);
        Assert.Equal(3000, stored.Count);

        var all = await _pins.For(daemon).RunAsync("logs", jobId);
        Assert.Equal(0, all.ExitCode);
        Assert.Equal(stored, all.StdoutLines);

        var tail = await _pins.RunAsync("logs", jobId, "--after", "2990");
        Assert.Equal(stored[2990..], tail.StdoutLines);

        var followedTail = await _pins.RunAsync("logs", jobId, "--follow", "--after", "2990");
        Assert.Equal(0, followedTail.ExitCode);
        Assert.Equal(stored[2990..], followedTail.StdoutLines);
    }

    [Fact]
    public async Task Should_neutralise_control_characters_in_package_output()
    {
        await using var daemon = await DaemonFixture.StartAsync("control-chars.sh");
        var jobId = (await daemon.StartJobAsync()).GetProperty("jobId").GetString()!;
        await daemon.WaitForEndAsync(jobId);

        foreach (var args in new[] { new[] { "logs", jobId }, ["logs", jobId, "--follow"] })
        {
            var result = await _pins.For(daemon).RunAsync(args);

            Assert.Equal(0, result.ExitCode);
            Assert.DoesNotContain(result.Stdout, c => char.IsControl(c) && c is not '\n' and not '\t');
            // The daemon serves control characters as visible ones (ControlCharacters, issue 14).
            Assert.Contains("red \u241B[31mtext\u241B[0m", result.StdoutLines);
            Assert.Contains("overwritten\u240Dshown", result.StdoutLines);
            Assert.Contains("tab\tkept", result.StdoutLines);
            Assert.Equal("plain line", result.StdoutLines[^1]);
        }

        var json = await _pins.RunAsync("logs", jobId, "--json");
        Assert.DoesNotContain(json.Stdout, c => char.IsControl(c) && c is not '\n');
        var first = JsonDocument.Parse(json.StdoutLines[0]).RootElement;
        Assert.Equal("red \u241B[31mtext\u241B[0m", first.GetProperty("text").GetString());
    }

    public void Dispose() => _pins.Dispose();
}
