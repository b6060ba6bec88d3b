using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Akka.Cluster;
using Microsoft.Extensions.DependencyInjection;
using PinsDaemon.Contracts;

namespace PinsDaemon.Fleet.Tests.TestSupport;

/// <summary>Several daemons in this test process forming one fleet over mutual TLS on loopback.</summary>
public sealed class TestFleet : IAsyncDisposable
{
    /// <summary>Nodes of a test fleet start and converge within this on a loaded 2-core machine.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private TestFleet(FleetCa ca, List<FleetNode> nodes)
    {
        Ca = ca;
        Nodes = nodes;
    }

    public FleetCa Ca { get; }

    public List<FleetNode> Nodes { get; }

    public FleetNode this[string name] => Nodes.Last(node => node.Name == name);

    /// <summary>The first node's address: the seed of every other node.</summary>
    public string Seed => Nodes[0].Address.ToString();

    /// <summary>Starts the first node (it forms the fleet), then the others with it as their seed, and waits until every node is up and known by name.</summary>
    public static Task<TestFleet> StartAsync(params (string Name, bool Controller)[] nodes) =>
        StartAsync(nodes.Select(node => new NodeSpec(node.Name, node.Controller)).ToArray());

    public static async Task<TestFleet> StartAsync(params NodeSpec[] nodes)
    {
        var fleet = new TestFleet(FleetCa.Create(), []);
        try
        {
            var first = await FleetNode.StartAsync(fleet.Ca, nodes[0].Name, nodes[0].Controller, [], nodes[0].Services, extraArgs: nodes[0].Args);
            fleet.Nodes.Add(first);
            var seeds = new[] { first.Address.ToString() };
            var others = nodes.Skip(1).Select(node => FleetNode.StartAsync(fleet.Ca, node.Name, node.Controller, seeds, node.Services, extraArgs: node.Args)).ToArray();
            try
            {
                await Task.WhenAll(others);
            }
            finally
            {
                fleet.Nodes.AddRange(others.Where(task => task.IsCompletedSuccessfully).Select(task => task.Result));
            }

            await fleet.WaitForMembersAsync(first, nodes.Length);
            return fleet;
        }
        catch
        {
            await fleet.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits until <paramref name="via"/>'s <c>GET /fleet/hosts</c> lists <paramref name="count"/> reachable members, each up and named.</summary>
    public async Task WaitForMembersAsync(FleetNode via, int count)
    {
        await Eventually.WaitUntilAsync(
            async () =>
            {
                if (via.Cluster.State.Members.Count(member => member.Status == MemberStatus.Up) != count)
                {
                    return false;
                }

                using var response = await via.Client.GetAsync(FleetPaths.Hosts);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    return false;
                }

                var hosts = (await response.Content.ReadFromJsonAsync<FleetHostView[]>(ContractJson.Options))!;
                return hosts.Length == count && hosts.All(host => host is { Name: not null, Status: "up", Reachable: true });
            },
            Patience,
            $"{count} members up and named");
    }

    /// <summary>Starts a rollout on <paramref name="controller"/>; returns its id.</summary>
    public static async Task<string> StartRolloutAsync(FleetNode controller, string body)
    {
        using var response = await controller.PostJsonAsync(FleetPaths.Rollouts, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.GetProperty("rolloutId").GetString()!;
    }

    public static async Task<RolloutView> GetRolloutAsync(FleetNode via, string rolloutId) =>
        (await via.Client.GetFromJsonAsync<RolloutView>(FleetPaths.Rollout(rolloutId), ContractJson.Options))!;

    public static async Task<RolloutView[]> ListRolloutsAsync(FleetNode via) =>
        (await via.Client.GetFromJsonAsync<RolloutView[]>(FleetPaths.Rollouts, ContractJson.Options))!;

    /// <summary>Waits until the rollout satisfies <paramref name="condition"/>; returns it then.</summary>
    public static async Task<RolloutView> WaitForRolloutAsync(FleetNode via, string rolloutId, Func<RolloutView, bool> condition, string what)
    {
        RolloutView? last = null;
        await Eventually.WaitUntilAsync(
            async () =>
            {
                using var response = await via.Client.GetAsync(FleetPaths.Rollout(rolloutId));
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    return false;
                }

                last = (await response.Content.ReadFromJsonAsync<RolloutView>(ContractJson.Options))!;
                return condition(last);
            },
            Patience,
            () => $"rollout {rolloutId}: {what}; last seen: {(last is null ? "nothing" : JsonSerializer.Serialize(last, ContractJson.Options))}");
        return last!;
    }

    public static Task<RolloutView> WaitForEndAsync(FleetNode via, string rolloutId) =>
        WaitForRolloutAsync(via, rolloutId, rollout => rollout.FinishedAt is not null, "finished");

    public async ValueTask DisposeAsync()
    {
        // Hosts first, the first seed last: fewer leaves to gossip to a node already gone.
        foreach (var node in Enumerable.Reverse(Nodes))
        {
            await node.DisposeAsync();
        }

        Ca.Dispose();
    }
}

/// <summary>A node of a test fleet: its name, role, services of its own (a reboot seam) and extra settings.</summary>
public sealed record NodeSpec(string Name, bool Controller, Action<IServiceCollection>? Services = null, params string[] Args);
