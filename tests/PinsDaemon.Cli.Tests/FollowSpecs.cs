namespace PinsDaemon.Cli.Tests;

/// <summary>
/// <c>--follow</c> survives what happens to long connections: the lines it prints, put
/// together, are the job's log exactly, with no gap and no line twice.
/// </summary>
public sealed class FollowSpecs : IDisposable
{
    private readonly Pins _pins = new();

    [Fact]
    public async Task Should_resume_after_a_dropped_connection_without_gap_or_repeat()
    {
        using var script = new GatedScript(before: 200, after: 200);
        await using var daemon = await DaemonFixture.StartAsync(script.Name);
        await using var relay = new TcpRelay(daemon.BaseAddress);
        _pins.For(daemon).Environment["PINS_URL"] = relay.Address.ToString();
        var jobId = (await daemon.StartJobAsync()).GetProperty("jobId").GetString()!;

        using var follow = _pins.Start(null, "logs", jobId, "--follow");
        await follow.WaitForLinesAsync(200);
        var connections = relay.Accepted;
        relay.DropAll();
        await follow.WaitForStderrAsync("Reconnected");
        script.Open();
        var result = await follow.WaitAsync();

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(relay.Accepted > connections, "pins did not reconnect");
        var stored = await DaemonLog.TextsAsync(daemon, jobId);
        Assert.Equal(400, stored.Count);
        Assert.Equal(stored, result.StdoutLines);
        Assert.Contains("was lost", result.Stderr);
    }

    [Fact]
    public async Task Should_resume_across_a_daemon_restart_with_exactly_the_stored_log()
    {
        using var script = new GatedScript(before: 100, after: 100);
        var storage = DaemonFixture.NewStorageDirectory();
        var port = HostsSpecs.FreePort();
        var url = $"http://127.0.0.1:{port}";
        var token = DaemonFixture.NewToken();
        try
        {
            var first = await DaemonFixture.StartWithStorageAsync(script.Name, storage, token, "--urls", url);
            _pins.For(first);
            var jobId = (await first.StartJobAsync()).GetProperty("jobId").GetString()!;
            using var logs = _pins.Start(null, "logs", jobId, "--follow");
            await logs.WaitForLinesAsync(100);

            await first.DisposeAsync();
            await logs.WaitForStderrAsync("shutting down or restarting");
            await using var second = await DaemonFixture.StartWithStorageAsync(script.Name, storage, token, "--urls", url);
            script.Open();
            var result = await logs.WaitAsync();

            var job = await second.WaitForEndAsync(jobId);
            var stored = await DaemonLog.TextsAsync(second, jobId);
            Assert.Equal(stored, result.StdoutLines);
            Assert.Contains("Reconnected", result.Stderr);
            var expected = job.GetProperty("status").GetString() switch
            {
                "succeeded" => 0,
                "interrupted" or "cancelled" or "timedOut" => 2,
                _ => 1,
            };
            Assert.Equal(expected, result.ExitCode);
        }
        finally
        {
            Directory.Delete(storage, recursive: true);
        }
    }

    public void Dispose() => _pins.Dispose();
}
