using System.Text.Json;
using PinsDaemon.Contracts;
using PinsDaemon.Fleet.Tests.TestSupport;
using FleetEventually = PinsDaemon.Fleet.Tests.TestSupport.Eventually;

namespace PinsDaemon.Cli.Tests;

/// <summary>
/// The fleet's tests start real daemons with the cluster on: they run alone, after the other CLI
/// tests, so that a loaded machine does not make a node miss its heartbeats.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FleetCollection
{
    public const string Name = "fleet (alone)";
}

/// <summary>A controller and two hosts, in this test process, for the whole class.</summary>
public sealed class ThreeNodeFleet : IAsyncLifetime
{
    public TestFleet Fleet { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Fleet = await TestFleet.StartAsync(("node-1", true), ("node-2", false), ("node-3", false));

    public async Task DisposeAsync()
    {
        if (Fleet is not null)
        {
            await Fleet.DisposeAsync();
        }
    }
}

/// <summary><c>pins fleet</c> against a real in-process fleet: what a user sees, and the exit codes.</summary>
[Collection(FleetCollection.Name)]
public sealed class FleetSpecs(ThreeNodeFleet fixture) : IClassFixture<ThreeNodeFleet>, IAsyncLifetime
{
    private readonly Pins _pins = new();

    private TestFleet Fleet => fixture.Fleet;

    private Pins Through(string node) => _pins.For(Fleet[node].BaseAddress, Fleet[node].Token);

    /// <summary>The merged log as pins printed it ("host | text"), per host.</summary>
    private static Dictionary<string, List<string>> PerHost(PinsResult result) =>
        result.StdoutLines
            .Select(line => line.Split(" | ", 2))
            .GroupBy(parts => parts[0].TrimEnd(), parts => parts[1])
            .ToDictionary(group => group.Key, group => group.ToList());

    private async Task AssertPrintedEachHostsOwnLogAsync(Dictionary<string, List<string>> printed, RolloutView rollout)
    {
        foreach (var host in rollout.Hosts.Where(host => host.JobId is not null))
        {
            var own = await MergedLog.OwnLogAsync(Fleet[host.Host], host.JobId!);
            Assert.True(own.Count > 20, $"{host.Host} has a log of its own");
            Assert.Equal(own.Select(line => line.Text), printed[host.Host]);
        }
    }

    private static string RolloutIdIn(string stderr) =>
        System.Text.RegularExpressions.Regex.Match(stderr, "rollout ([0-9a-f-]{36})").Groups[1].Value;

    [Fact]
    public async Task Should_list_every_member_through_any_node()
    {
        var plain = await Through("node-2").RunAsync("fleet", "hosts");
        var json = await _pins.RunAsync("fleet", "hosts", "--json");

        Assert.True(plain.ExitCode == 0, plain.ToString());
        Assert.Equal(["node-1", "node-2", "node-3"], plain.StdoutLines.Select(line => line.Split('\t')[0]).Order());
        Assert.All(plain.StdoutLines, line => Assert.Equal(["up", "yes"], line.Split('\t')[1..3]));
        Assert.Contains("controller", plain.StdoutLines.Single(line => line.StartsWith("node-1\t", StringComparison.Ordinal)).Split('\t')[3].Split(','));
        var hosts = JsonSerializer.Deserialize<FleetHostView[]>(json.Stdout, ContractJson.Options)!;
        Assert.Equal(3, hosts.Length);
    }

    [Fact]
    public async Task Should_follow_a_rolling_dry_run_printing_each_hosts_log_with_its_host_and_exit_0()
    {
        var result = await Through("node-1").RunAsync("fleet", "rollout", "--dry-run", "--all", "--canary", "1", "--follow");

        Assert.True(result.ExitCode == 0, result.ToString());
        var id = RolloutIdIn(result.Stderr);
        var rollout = await TestFleet.GetRolloutAsync(Fleet["node-1"], id);
        Assert.Equal(RolloutStatus.Completed, rollout.Status);
        Assert.Equal(["node-1", "node-2", "node-3"], rollout.Hosts.Select(host => host.Host));
        await AssertPrintedEachHostsOwnLogAsync(PerHost(result), rollout);
        Assert.Contains("node-1 | node-1: upgrade --dry-run", result.StdoutLines);
        Assert.Contains("node-2: job succeeded", result.Stderr);
        Assert.Contains($"Rollout {id} completed: 3 succeeded.", result.Stderr);

        var list = await _pins.RunAsync("fleet", "rollouts");
        Assert.StartsWith($"{id}\tcompleted\tdry run\t3\t0\t", list.StdoutLines[0]);
        var show = await _pins.RunAsync("fleet", "rollout", "show", id);
        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Contains("status: completed", show.StdoutLines);
        Assert.Contains(show.StdoutLines, line => line.StartsWith("node-3\t2\tsucceeded\t", StringComparison.Ordinal));
        var json = await _pins.RunAsync("fleet", "rollout", "show", id, "--json");
        Assert.Equal(RolloutStatus.Completed, JsonSerializer.Deserialize<RolloutView>(json.Stdout, ContractJson.Options)!.Status);
    }

    [Fact]
    public async Task Should_start_a_full_upgrade_rollout_with_autoremove_when_asked()
    {
        var result = await Through("node-1").RunAsync("fleet", "rollout", "--dry-run", "--full-upgrade", "--autoremove", "--hosts", "node-2", "--follow");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("node-2 (full-upgrade, autoremove)", result.Stderr);
        var rollout = await TestFleet.GetRolloutAsync(Fleet["node-1"], RolloutIdIn(result.Stderr));
        Assert.Equal((UpgradeModes.FullUpgrade, true), (rollout.Mode, rollout.Autoremove));
        var job = Assert.Single(await Fleet["node-2"].JobsAsync(), job => job.JobId.ToString() == rollout.Hosts[0].JobId);
        Assert.Equal((UpgradeModes.FullUpgrade, true), (job.Mode, job.Autoremove));
    }

    [Fact]
    public async Task Should_exit_1_when_a_host_fails_and_name_it()
    {
        Fleet["node-3"].Fail(true);
        try
        {
            var result = await Through("node-1").RunAsync("fleet", "rollout", "--dry-run", "--hosts", "node-3,node-2", "--follow");

            Assert.True(result.ExitCode == 1, result.ToString());
            var id = RolloutIdIn(result.Stderr);
            Assert.Contains($"Rollout {id} failed (maxFailuresExceeded): 1 failed, 1 skipped.", result.Stderr);
            Assert.Contains("node-3 failed: scriptFailed", result.Stderr);
            Assert.DoesNotContain(result.StdoutLines, line => line.StartsWith("node-2 ", StringComparison.Ordinal));
            Assert.Equal(1, (await _pins.RunAsync("fleet", "rollout", "show", id)).ExitCode);
        }
        finally
        {
            Fleet["node-3"].Fail(false);
        }
    }

    [Fact]
    public async Task Should_pause_resume_and_cancel_a_rollout_and_exit_2_once_it_is_cancelled()
    {
        var node2 = Fleet["node-2"];
        node2.Hold(true);
        try
        {
            var started = await Through("node-1").RunAsync("fleet", "rollout", "--dry-run", "--hosts", "node-2,node-3");
            Assert.True(started.ExitCode == 0, started.ToString());
            var id = Assert.Single(started.StdoutLines);
            Assert.Contains($"pins fleet rollout show {id} --follow", started.Stderr);
            await FleetEventually.WaitUntilAsync(() => node2.IsRunning, TestFleet.Patience, "node-2 running");

            Assert.Equal(0, (await _pins.RunAsync("fleet", "rollout", "pause", id)).ExitCode);
            var paused = await _pins.RunAsync("fleet", "rollout", "show", id, "--json");
            Assert.Equal(RolloutStatus.Paused, JsonSerializer.Deserialize<RolloutView>(paused.Stdout, ContractJson.Options)!.Status);
            Assert.Equal(0, (await _pins.RunAsync("fleet", "rollout", "resume", id)).ExitCode);

            // Another rollout waits for this one: pins says which one to watch.
            var second = await _pins.RunAsync("fleet", "rollout", "--dry-run", "--hosts", "node-3");
            Assert.Equal(1, second.ExitCode);
            Assert.Contains($"pins fleet rollout show {id} --follow", second.Stderr);

            Assert.Equal(0, (await _pins.RunAsync("fleet", "rollout", "cancel", id)).ExitCode);
            node2.Hold(false);
            var followed = await _pins.RunAsync("fleet", "rollout", "show", id, "--follow", "--json");

            Assert.True(followed.ExitCode == 2, followed.ToString());
            var lines = followed.StdoutLines.Select(line => (FleetLineFrame)FleetLogFrame.Parse(System.Text.Encoding.UTF8.GetBytes(line))).ToList();
            Assert.NotEmpty(lines);
            Assert.All(lines, line => Assert.Equal("node-2", line.Host));
            Assert.Contains("node-3 skipped: cancelled", followed.Stderr);
            var resumed = await _pins.RunAsync("fleet", "rollout", "resume", id);
            Assert.Equal(1, resumed.ExitCode);
            Assert.Contains("cannot be resumed", resumed.Stderr);
        }
        finally
        {
            node2.Hold(false);
        }
    }

    [Fact]
    public async Task Should_resume_the_merged_log_per_host_after_a_dropped_connection_without_gap_or_repeat()
    {
        var node2 = Fleet["node-2"];
        await using var relay = new TcpRelay(Fleet["node-1"].BaseAddress);
        Through("node-1").Environment["PINS_URL"] = relay.Address.ToString();
        node2.Hold(true);
        try
        {
            using var follow = _pins.Start(null, "fleet", "rollout", "--dry-run", "--hosts", "node-2,node-3", "--follow");
            await FleetEventually.WaitUntilAsync(() => node2.IsRunning, TestFleet.Patience, "node-2 running");
            await follow.WaitForLinesAsync(20);
            var connections = relay.Accepted;
            relay.DropAll();
            await follow.WaitForStderrAsync("Reconnected");
            node2.Hold(false);
            var result = await follow.WaitAsync();

            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.True(relay.Accepted > connections, "pins did not reconnect");
            Assert.Contains("was lost", result.Stderr);
            var rollout = await TestFleet.GetRolloutAsync(Fleet["node-1"], RolloutIdIn(result.Stderr));
            await AssertPrintedEachHostsOwnLogAsync(PerHost(result), rollout);
        }
        finally
        {
            node2.Hold(false);
        }
    }

    [Fact]
    public async Task Should_refuse_a_rollout_through_a_node_that_is_not_a_controller()
    {
        var result = await Through("node-3").RunAsync("fleet", "rollout", "--dry-run", "--all");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("controller", result.Stderr);
        Assert.Equal(string.Empty, result.Stdout);
    }

    [Fact]
    public async Task Should_say_that_a_daemon_without_the_fleet_is_not_part_of_one()
    {
        await using var daemon = await DaemonFixture.StartAsync("exit-3.sh");

        var result = await _pins.For(daemon).RunAsync("fleet", "hosts");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("not part of a fleet", result.Stderr);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>The class shares one fleet: whatever a test held, failed or left running is released, cancelled and finished.</summary>
    public async Task DisposeAsync()
    {
        _pins.Dispose();
        var controller = Fleet["node-1"];
        foreach (var node in Fleet.Nodes)
        {
            node.Hold(false);
            node.Fail(false);
        }

        foreach (var active in (await TestFleet.ListRolloutsAsync(controller)).Where(rollout => rollout.FinishedAt is null))
        {
            (await controller.Client.PostAsync(FleetPaths.Command(active.RolloutId, RolloutCommand.Cancel), null)).Dispose();
            await TestFleet.WaitForEndAsync(controller, active.RolloutId);
        }
    }
}
