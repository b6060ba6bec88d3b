using Akka.Actor;
using Akka.Cluster;
using Microsoft.Extensions.DependencyInjection;
using PinsDaemon.Contracts;
using PinsDaemon.Fleet.Hosting;
using PinsDaemon.Fleet.Tests.TestSupport;

namespace PinsDaemon.Fleet.Tests;

/// <summary>Nodes going away mid-rollout, and a node the fleet must not let in. Each test has a fleet of its own.</summary>
public sealed class FailoverSpecs
{
    [Fact]
    public async Task Should_count_a_host_stopped_mid_run_and_not_back_within_the_rejoin_timeout_as_unreachable()
    {
        await using var fleet = await TestFleet.StartAsync(
            new NodeSpec("ctl-1", true, null, "--Fleet:RejoinTimeout=00:00:05"), new NodeSpec("pi-1", false), new NodeSpec("pi-2", false));
        var controller = fleet["ctl-1"];
        fleet["pi-1"].Hold(true);
        var id = await TestFleet.StartRolloutAsync(controller, """{"dryRun": true, "hosts": ["pi-1", "pi-2"], "batchSize": 1, "maxFailures": 1}""");
        await Eventually.WaitUntilAsync(() => fleet["pi-1"].IsRunning, TestFleet.Patience, "pi-1 running");

        await fleet["pi-1"].StopAsync();
        await TestFleet.WaitForRolloutAsync(controller, id, r => r.Hosts[0] is { State: HostRolloutState.Running, Step: "rejoining" }, "pi-1 waited for");
        var rollout = await TestFleet.WaitForEndAsync(controller, id);

        var hosts = rollout.Hosts.ToDictionary(host => host.Host);
        Assert.Equal(HostRolloutState.Unreachable, hosts["pi-1"].State);
        Assert.Equal("nodeLeft", hosts["pi-1"].Reason);
        Assert.Contains("Fleet:RejoinTimeout", hosts["pi-1"].Message);
        Assert.NotNull(hosts["pi-1"].JobId);
        Assert.Equal(1, rollout.Failures);
        // One failure is allowed: the rollout went on to pi-2.
        Assert.Equal(HostRolloutState.Succeeded, hosts["pi-2"].State);
        Assert.Equal(RolloutStatus.Completed, rollout.Status);
    }

    [Fact]
    public async Task Should_follow_a_job_that_runs_on_across_a_restart_of_its_hosts_daemon_to_its_real_end()
    {
        await using var fleet = await TestFleet.StartAsync(("ctl-1", true), ("pi-1", false), ("pi-2", false));
        var controller = fleet["ctl-1"];
        fleet["pi-1"].Hold(true);
        var id = await TestFleet.StartRolloutAsync(controller, """{"dryRun": true, "hosts": ["pi-1", "pi-2"], "batchSize": 1, "maxFailures": 0}""");
        var reading = MergedLog.ReadAsync(controller, FleetPaths.Logs(id), TestFleet.Patience * 2);
        var before = await TestFleet.WaitForRolloutAsync(controller, id, r => r.Hosts[0].JobId is not null && fleet["pi-1"].IsRunning, "pi-1 running");

        // The daemon restarts (an update of the daemon, systemd's restart) on the same disk; its
        // upgrade runs on outside it, and the new daemon comes back at another address.
        var old = fleet["pi-1"];
        old.DeleteRootOnDispose = false;
        await old.StopAsync();
        await TestFleet.WaitForRolloutAsync(controller, id, r => r.Hosts[0] is { State: HostRolloutState.Running, Step: "rejoining" }, "pi-1 waited for");
        Assert.True(old.IsRunning, "the run outlives its daemon");
        var again = await FleetNode.StartAsync(fleet.Ca, "pi-1", controller: false, [fleet.Seed], root: old.Root);
        fleet.Nodes.Add(again);
        await TestFleet.WaitForRolloutAsync(controller, id, r => r.Hosts[0] is { State: HostRolloutState.Running, Step: null }, "pi-1 followed again");
        Assert.Equal(HostRolloutState.Pending, (await TestFleet.GetRolloutAsync(controller, id)).Hosts[1].State);
        again.Hold(false);
        var rollout = await TestFleet.WaitForEndAsync(controller, id);

        Assert.Equal(RolloutStatus.Completed, rollout.Status);
        var hosts = rollout.Hosts.ToDictionary(host => host.Host);
        Assert.Equal(HostRolloutState.Succeeded, hosts["pi-1"].State);
        Assert.Equal(before.Hosts[0].JobId, hosts["pi-1"].JobId);
        Assert.Equal(1, again.Runs);
        var job = Assert.Single(await again.JobsAsync());
        Assert.Equal(JobStatus.Succeeded, job.Status);
        Assert.Equal(HostRolloutState.Succeeded, hosts["pi-2"].State);

        // The merged log followed pi-1 to its new address: every line of its job, once, to its end.
        var (frames, _) = await reading;
        var own = await MergedLog.OwnLogAsync(again, hosts["pi-1"].JobId!);
        Assert.Equal(
            own.Select(line => (line.Seq, line.Text)),
            frames.OfType<FleetLineFrame>().Where(frame => frame.Host == "pi-1").Select(line => (line.Seq, line.Text)));
        Assert.Contains(own, line => line.Text == "pi-1: done");
        Assert.Equal(JobStatus.Succeeded, Assert.Single(frames.OfType<FleetEndFrame>(), frame => frame.Host == "pi-1").Status);
    }

    [Fact]
    public async Task Should_resume_on_another_controller_when_the_coordinators_node_stops_and_run_no_host_twice()
    {
        await using var fleet = await TestFleet.StartAsync(("ctl-1", true), ("ctl-2", true), ("pi-1", false), ("pi-2", false));
        fleet["pi-1"].Hold(true);
        var id = await TestFleet.StartRolloutAsync(fleet["ctl-1"], """{"dryRun": true, "hosts": ["pi-1", "pi-2", "ctl-2"], "batchSize": 1}""");
        await Eventually.WaitUntilAsync(() => fleet["pi-1"].IsRunning, TestFleet.Patience, "pi-1 running");

        // ctl-1 is the oldest controller, so it holds the coordinator; it leaves mid-rollout.
        await fleet["ctl-1"].StopAsync();
        await TestFleet.WaitForRolloutAsync(fleet["ctl-2"], id, rollout => rollout.Status == RolloutStatus.Running, "served by the coordinator on ctl-2");
        fleet["pi-1"].Hold(false);
        var rollout = await TestFleet.WaitForEndAsync(fleet["ctl-2"], id);

        Assert.Equal(RolloutStatus.Completed, rollout.Status);
        Assert.All(rollout.Hosts, host => Assert.Equal(HostRolloutState.Succeeded, host.State));
        foreach (var name in new[] { "pi-1", "pi-2", "ctl-2" })
        {
            Assert.Equal(1, fleet[name].Runs);
            var job = Assert.Single(await fleet[name].JobsAsync());
            Assert.Equal(rollout.Hosts.Single(host => host.Host == name).JobId, job.JobId.ToString());
        }
    }

    [Fact]
    public async Task Should_refuse_a_node_whose_certificate_is_not_from_the_fleets_ca()
    {
        await using var fleet = await TestFleet.StartAsync(("ctl-1", true), ("pi-1", false));
        var controller = fleet["ctl-1"];
        using var strangersCa = FleetCa.Create();
        var root = Path.Combine(strangersCa.Directory, "intruder-node");
        var (stranger, _) = FleetNode.Build(strangersCa, "intruder", controller: true, [controller.Address.ToString()], root);
        try
        {
            try
            {
                await stranger.StartAsync();
            }
            catch (OperationCanceledException)
            {
                // It may already be stopping while it starts: see below.
            }

            var certificates = controller.App.Services.GetRequiredService<FleetStartup>().Certificates;
            await Eventually.WaitUntilAsync(() => certificates.Refused > 0, TestFleet.Patience, "the fleet refused the stranger's handshake");

            // Akka.Remote stops a node whose own TLS handshake fails (exit code 79): the stranger
            // shuts itself down, having never been a member.
            var system = stranger.Services.GetRequiredService<ActorSystem>();
            await system.WhenTerminated.WaitAsync(TestFleet.Patience);
            Assert.Equal(2, controller.Cluster.State.Members.Count);
            Assert.DoesNotContain(controller.Cluster.State.Members, member => member.Address == Cluster.Get(system).SelfAddress);
            await fleet.WaitForMembersAsync(controller, 2);
        }
        finally
        {
            await stranger.StopAsync();
            await stranger.DisposeAsync();
            Environment.ExitCode = 0;
        }
    }
}
