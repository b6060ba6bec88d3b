using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using PinsDaemon.Contracts;
using PinsDaemon.Fleet.Tests.TestSupport;

namespace PinsDaemon.Fleet.Tests;

/// <summary>Three daemon processes on 127.0.0.1, on ports of their own, as three Pis would run.</summary>
public sealed class ThreeProcessSpecs : IDisposable
{
    private readonly FleetCa _ca = FleetCa.Create();
    private readonly List<DaemonProcess> _nodes = [];

    private async Task<List<DaemonProcess>> StartFleetAsync()
    {
        var ports = Enumerable.Range(0, 3).Select(_ => DaemonProcess.FreePort()).ToArray();
        // The same seed list, in the same order, everywhere: the first seed is the controller.
        var seeds = new[] { $"127.0.0.1:{ports[0]}" };
        var started = await Task.WhenAll(Enumerable.Range(0, 3).Select(i =>
            DaemonProcess.StartAsync(_ca, $"pi-{i + 1}", controller: i == 0, ports[i], seeds, Path.Combine(_ca.Directory, $"pi-{i + 1}"))));
        _nodes.AddRange(started);
        await WaitForHostsAsync(_nodes[0], 3);
        return _nodes;
    }

    private static async Task WaitForHostsAsync(DaemonProcess via, int count) =>
        await Eventually.WaitUntilAsync(
            async () =>
            {
                try
                {
                    var hosts = await via.Client.GetFromJsonAsync<FleetHostView[]>(FleetPaths.Hosts, ContractJson.Options);
                    return hosts!.Count(host => host is { Status: "up", Reachable: true, Name: not null }) == count && hosts!.Length == count;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            },
            TestFleet.Patience,
            $"{count} hosts up, reachable and named");

    [Fact]
    public async Task Should_run_a_rolling_dry_run_across_three_daemon_processes_and_merge_their_logs()
    {
        var nodes = await StartFleetAsync();
        var controller = nodes[0];

        using var response = await controller.Client.PostAsync(FleetPaths.Rollouts, JsonContent.Create(new { dryRun = true, hosts = "all", canary = 1, batchSize = 1 }));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<RolloutAccepted>(ContractJson.Options))!.RolloutId;
        var frames = await ReadMergedLogAsync(controller, id);
        var rollout = (await controller.Client.GetFromJsonAsync<RolloutView>(FleetPaths.Rollout(id), ContractJson.Options))!;

        Assert.Equal(RolloutStatus.Completed, rollout.Status);
        Assert.Equal(["pi-1", "pi-2", "pi-3"], rollout.Hosts.Select(host => host.Host));
        Assert.Equal([0, 1, 2], rollout.Hosts.Select(host => host.Group));
        Assert.Equal(new FleetRolloutEndFrame(id, RolloutStatus.Completed), frames[^1]);
        DateTimeOffset? previousEnd = null;
        foreach (var host in rollout.Hosts)
        {
            var node = nodes.Single(n => n.Name == host.Host);
            var job = (await node.Client.GetFromJsonAsync<JobSnapshot>($"/jobs/{host.JobId}", ContractJson.Options))!;
            Assert.Equal(JobStatus.Succeeded, job.Status);
            Assert.True(previousEnd is null || job.StartedAt >= previousEnd, $"{host.Host} started after the host before it ended");
            previousEnd = job.FinishedAt;
            var lines = frames.OfType<FleetLineFrame>().Where(frame => frame.Host == host.Host).ToList();
            Assert.Equal(Enumerable.Range(1, (int)job.LineCount).Select(seq => (long)seq), lines.Select(line => line.Seq));
            Assert.Equal($"{host.Host} line 50", lines[^1].Text);
        }
    }

    [Fact]
    public async Task Should_exit_non_zero_when_downed_and_rejoin_once_restarted()
    {
        var nodes = await StartFleetAsync();
        var frozen = nodes[2];

        // A Pi that stops answering (here: stopped by SIGSTOP) is downed by the others' split-brain resolver.
        frozen.Signal("STOP");
        await Eventually.WaitUntilAsync(
            async () => (await nodes[0].Client.GetFromJsonAsync<FleetHostView[]>(FleetPaths.Hosts, ContractJson.Options))!.Length == 2,
            TestFleet.Patience,
            "pi-3 removed from the fleet");

        // Woken up, it finds itself downed and stops with a failure code, so systemd restarts it.
        frozen.Signal("CONT");
        var exitCode = await frozen.WaitForExitAsync(TestFleet.Patience);
        Assert.NotEqual(0, exitCode);

        await frozen.RestartAsync();
        await WaitForHostsAsync(nodes[0], 3);
    }

    private static async Task<List<FleetLogFrame>> ReadMergedLogAsync(DaemonProcess via, string rolloutId)
    {
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", $"Bearer {via.Token}");
        using var cts = new CancellationTokenSource(TestFleet.Patience);
        await socket.ConnectAsync(new Uri($"ws://{via.BaseAddress.Authority}{FleetPaths.Logs(rolloutId)}"), cts.Token);
        var frames = new List<FleetLogFrame>();
        var buffer = new byte[64 * 1024];
        var message = new MemoryStream();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, cts.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.CloseStatus);
                return frames;
            }

            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                frames.Add(FleetLogFrame.Parse(message.ToArray()));
                message.SetLength(0);
            }
        }
    }

    public void Dispose()
    {
        foreach (var node in _nodes)
        {
            node.Dispose();
        }

        _ca.Dispose();
    }
}
