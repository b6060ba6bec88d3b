using Microsoft.Extensions.DependencyInjection;
using PinsDaemon.Contracts;
using PinsDaemon.Fleet.Agents;
using PinsDaemon.Fleet.Tests.TestSupport;

namespace PinsDaemon.Fleet.Tests;

/// <summary>
/// <c>reboot: "ifRequired"</c>: a host whose apply asks for a reboot is rebooted and waited for.
/// The reboot is the seam's: the test's stops the node's daemon and, to come back, starts a new one
/// on the same disk, as a Pi that reboots does.
/// </summary>
public sealed class RebootSpecs
{
    private sealed class Reboots(Func<Task> reboot) : IRebootRequester
    {
        public Task RequestAsync(string rolloutId, CancellationToken cancellationToken)
        {
            _ = Task.Run(reboot, CancellationToken.None);
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task Should_wait_for_a_rebooted_host_to_rejoin_before_the_next_batch()
    {
        TestFleet? fleet = null;
        var back = new TaskCompletionSource<DateTimeOffset>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Rebootable(IServiceCollection services) => services.AddSingleton<IRebootRequester>(new Reboots(async () =>
        {
            var old = fleet!["pi-1"];
            old.DeleteRootOnDispose = false;
            await old.StopAsync();
            var again = await FleetNode.StartAsync(fleet.Ca, "pi-1", controller: false, [fleet.Seed], Rebootable, old.Root);
            fleet.Nodes.Add(again);
            back.SetResult(DateTimeOffset.UtcNow);
        }));

        await using (fleet = await TestFleet.StartAsync(new NodeSpec("ctl-1", true), new NodeSpec("pi-1", false, Rebootable), new NodeSpec("pi-2", false)))
        {
            fleet["pi-1"].RequireReboot(true);
            var id = await TestFleet.StartRolloutAsync(fleet["ctl-1"], """{"dryRun": false, "hosts": ["pi-1", "pi-2"], "batchSize": 1, "reboot": "ifRequired"}""");
            var rollout = await TestFleet.WaitForEndAsync(fleet["ctl-1"], id);

            var hosts = rollout.Hosts.ToDictionary(host => host.Host);
            Assert.Equal(RolloutStatus.Completed, rollout.Status);
            Assert.Equal(HostRolloutState.Succeeded, hosts["pi-1"].State);
            Assert.True(hosts["pi-1"].RebootRequired);
            Assert.Contains("rebooted", hosts["pi-1"].Message);
            Assert.Equal(HostRolloutState.Succeeded, hosts["pi-2"].State);
            Assert.Equal(1, fleet["pi-1"].Runs);
            var pi2 = Assert.Single(await fleet["pi-2"].JobsAsync());
            Assert.True(pi2.StartedAt > await back.Task, "pi-2 started only once the rebooted pi-1 was back");
        }
    }

    [Fact]
    public async Task Should_count_a_host_that_does_not_come_back_from_its_reboot_as_failed()
    {
        TestFleet? fleet = null;
        void Vanishing(IServiceCollection services) => services.AddSingleton<IRebootRequester>(new Reboots(() => fleet!["pi-1"].StopAsync()));

        await using (fleet = await TestFleet.StartAsync(
            new NodeSpec("ctl-1", true, null, "--Fleet:RebootTimeout=00:00:05"),
            new NodeSpec("pi-1", false, Vanishing),
            new NodeSpec("pi-2", false)))
        {
            fleet["pi-1"].RequireReboot(true);
            var id = await TestFleet.StartRolloutAsync(fleet["ctl-1"], """{"dryRun": false, "hosts": ["pi-1", "pi-2"], "batchSize": 1, "maxFailures": 0, "reboot": "ifRequired"}""");
            var rollout = await TestFleet.WaitForEndAsync(fleet["ctl-1"], id);

            var hosts = rollout.Hosts.ToDictionary(host => host.Host);
            Assert.Equal(HostRolloutState.Failed, hosts["pi-1"].State);
            Assert.Equal("rebootTimedOut", hosts["pi-1"].Reason);
            Assert.Equal(HostRolloutState.Skipped, hosts["pi-2"].State);
            Assert.Equal(RolloutStatus.Failed, rollout.Status);
        }
    }

    [Fact]
    public async Task Should_reboot_a_host_that_allows_it_through_its_own_root_script()
    {
        // Host:AllowReboot is the opt-in; the reboot goes the way POST /reboot goes (the script's
        // reboot form). The script does not reboot anything, so the host never comes back.
        await using var fleet = await TestFleet.StartAsync(
            new NodeSpec("ctl-1", true, null, "--Fleet:RebootTimeout=00:00:05"),
            new NodeSpec("pi-1", false, null, "--Host:AllowReboot=true"));
        fleet["pi-1"].RequireReboot(true);

        var id = await TestFleet.StartRolloutAsync(fleet["ctl-1"], """{"dryRun": false, "hosts": ["pi-1"], "reboot": "ifRequired"}""");
        var rollout = await TestFleet.WaitForEndAsync(fleet["ctl-1"], id);

        var host = Assert.Single(rollout.Hosts);
        Assert.Equal("rebootTimedOut", host.Reason);
        Assert.Equal(["--apply", "--reboot"], File.ReadAllLines(Path.Combine(fleet["pi-1"].ControlDirectory, "runs")));
    }

    [Fact]
    public async Task Should_leave_a_host_that_cannot_reboot_upgraded_and_say_so()
    {
        await using var fleet = await TestFleet.StartAsync(("ctl-1", true), ("pi-1", false));
        fleet["pi-1"].RequireReboot(true);

        var id = await TestFleet.StartRolloutAsync(fleet["ctl-1"], """{"dryRun": false, "hosts": ["pi-1"], "reboot": "ifRequired"}""");
        var rollout = await TestFleet.WaitForEndAsync(fleet["ctl-1"], id);

        var host = Assert.Single(rollout.Hosts);
        Assert.Equal(HostRolloutState.Succeeded, host.State);
        Assert.Equal("rebootNotAllowed", host.Reason);
        Assert.True(host.RebootRequired);
        Assert.Equal(RolloutStatus.Completed, rollout.Status);
    }
}
