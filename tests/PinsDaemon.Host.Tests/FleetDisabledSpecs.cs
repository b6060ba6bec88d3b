using System.Net;
using PinsDaemon.Host.Tests.TestSupport;

namespace PinsDaemon.Host.Tests;

/// <summary>Without Fleet:Enabled the daemon is what it was: no fleet endpoint, no cluster code loaded.</summary>
public sealed class FleetDisabledSpecs
{
    [Fact]
    public async Task Should_load_no_cluster_assembly_and_serve_no_fleet_endpoint_unless_enabled()
    {
        await using var daemon = await DaemonFixture.StartAsync("exit-3.sh");
        var job = await daemon.StartJobAsync();
        await daemon.WaitForEndAsync(job.GetProperty("jobId").GetString()!);

        using var rollouts = await daemon.Client.GetAsync("/fleet/rollouts");
        using var hosts = await daemon.Client.GetAsync("/fleet/hosts");
        Assert.Equal(HttpStatusCode.NotFound, rollouts.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, hosts.StatusCode);

        // No other test in this process enables the fleet, so nothing may have loaded these.
        var loaded = AppDomain.CurrentDomain.GetAssemblies().Select(assembly => assembly.GetName().Name).ToHashSet();
        Assert.DoesNotContain("PinsDaemon.Fleet", loaded);
        Assert.DoesNotContain("Akka.Cluster", loaded);
        Assert.DoesNotContain("Akka.Remote", loaded);
        Assert.DoesNotContain("Akka.DistributedData", loaded);
    }
}
