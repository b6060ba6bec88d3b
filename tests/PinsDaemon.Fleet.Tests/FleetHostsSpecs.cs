using System.Net.Http.Json;
using PinsDaemon.Contracts;
using PinsDaemon.Fleet.Tests.TestSupport;

namespace PinsDaemon.Fleet.Tests;

/// <summary><c>GET /fleet/hosts</c>: each member with what its own <c>GET /host</c> says.</summary>
public sealed class FleetHostsSpecs
{
    [Fact]
    public async Task Should_show_each_hosts_own_GET_host_summary()
    {
        await using var fleet = await TestFleet.StartAsync(("ctl-1", true), ("pi-1", false));
        var controller = fleet["ctl-1"];
        fleet["pi-1"].OfferUpdate(true);
        var id = await TestFleet.StartRolloutAsync(controller, """{"dryRun": true, "hosts": ["pi-1"]}""");
        Assert.Equal(RolloutStatus.Completed, (await TestFleet.WaitForEndAsync(controller, id)).Status);

        // A host that does not answer within 3 s is listed without a summary: wait for both.
        FleetHostView[] hosts = [];
        await Eventually.WaitUntilAsync(
            async () =>
            {
                hosts = (await controller.Client.GetFromJsonAsync<FleetHostView[]>(FleetPaths.Hosts, ContractJson.Options))!;
                return hosts.All(host => host.Summary is not null);
            },
            TestFleet.Patience,
            "every host's summary");
        var own = (await fleet["pi-1"].Client.GetFromJsonAsync<HostStatus>("/host", ContractJson.Options))!;

        var summary = hosts.Single(host => host.Name == "pi-1").Summary!;
        Assert.Equal(1, own.PendingUpdates!.Count);
        Assert.Equal(own.PendingUpdates.Count, summary.PendingUpdates);
        Assert.Equal(1, summary.PendingSecurityUpdates);
        Assert.Equal(own.PendingUpdates.CheckedAt, summary.PendingUpdatesCheckedAt);
        Assert.Equal(own.RebootRequired, summary.RebootRequired);
        Assert.Null(summary.LastSuccess);
        Assert.Null(summary.RunningJobId);
        Assert.False(summary.RebootAllowed);
        // The controller has run nothing: nothing is known of its updates.
        Assert.Null(hosts.Single(host => host.Name == "ctl-1").Summary!.PendingUpdates);
    }
}
