using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using PinsDaemon.Contracts;
using PinsDaemon.Fleet.Tests.TestSupport;

namespace PinsDaemon.Fleet.Tests;

/// <summary>Rolling dry runs across four real daemons in one process: order, failures, the merged log.</summary>
[Collection(FourNodeFleet.Collection)]
public sealed class RollingRolloutSpecs(FourNodeFleet fixture) : IDisposable
{
    private const string FourHosts = """["node-2","node-3","node-4","node-1"]""";

    private TestFleet Fleet => fixture.Fleet;

    private FleetNode Controller => Fleet["node-1"];

    /// <summary>Whatever a test held or failed is released: the class shares one fleet.</summary>
    public void Dispose()
    {
        foreach (var node in Fleet.Nodes)
        {
            node.Hold(false);
            node.Fail(false);
        }
    }

    [Fact]
    public async Task Should_run_the_canary_alone_then_each_batch_after_the_one_before()
    {
        var id = await TestFleet.StartRolloutAsync(Controller, $$"""{"dryRun": true, "hosts": {{FourHosts}}, "canary": 1, "batchSize": 2, "maxFailures": 0}""");
        var rollout = await TestFleet.WaitForEndAsync(Controller, id);

        Assert.Equal(RolloutStatus.Completed, rollout.Status);
        Assert.All(rollout.Hosts, host => Assert.Equal(HostRolloutState.Succeeded, host.State));
        Assert.Equal(["node-2", "node-3", "node-4", "node-1"], rollout.Hosts.Select(host => host.Host));
        Assert.Equal([0, 1, 1, 2], rollout.Hosts.Select(host => host.Group));

        // Each host's own record of its job, read from that host: the order is the hosts' truth.
        var jobs = new Dictionary<string, JobSnapshot>();
        foreach (var host in rollout.Hosts)
        {
            var own = await Fleet[host.Host].JobsAsync();
            jobs[host.Host] = Assert.Single(own, job => job.JobId.ToString() == host.JobId);
            Assert.True(jobs[host.Host].DryRun);
        }

        Assert.True(jobs["node-2"].FinishedAt <= jobs["node-3"].StartedAt, "the canary finished before the first batch started");
        Assert.True(jobs["node-2"].FinishedAt <= jobs["node-4"].StartedAt, "the canary finished before the first batch started");
        Assert.True(jobs["node-3"].FinishedAt <= jobs["node-1"].StartedAt, "the first batch finished before the second started");
        Assert.True(jobs["node-4"].FinishedAt <= jobs["node-1"].StartedAt, "the first batch finished before the second started");
    }

    [Fact]
    public async Task Should_run_each_hosts_job_in_the_rollouts_mode_with_autoremove()
    {
        var id = await TestFleet.StartRolloutAsync(Controller, """{"dryRun": true, "hosts": ["node-3", "node-4"], "batchSize": 2, "mode": "full-upgrade", "autoremove": true}""");
        var rollout = await TestFleet.WaitForEndAsync(Controller, id);

        Assert.Equal(RolloutStatus.Completed, rollout.Status);
        Assert.Equal((UpgradeModes.FullUpgrade, true), (rollout.Mode, rollout.Autoremove));
        foreach (var host in rollout.Hosts)
        {
            // The host's own record of its job, and the arguments its script was given.
            var job = Assert.Single(await Fleet[host.Host].JobsAsync(), job => job.JobId.ToString() == host.JobId);
            Assert.Equal((true, UpgradeModes.FullUpgrade, true), (job.DryRun, job.Mode, job.Autoremove));
            var words = Fleet[host.Host].Arguments[^1].Split(' ');
            Assert.Contains("--full-upgrade", words);
            Assert.Contains("--autoremove", words);
        }

        // Without them a rollout is an upgrade, as POST /upgrade is, on the GET of any node.
        var plain = await TestFleet.WaitForEndAsync(Controller, await TestFleet.StartRolloutAsync(Controller, """{"dryRun": true, "hosts": ["node-3"]}"""));
        Assert.Equal((UpgradeModes.Upgrade, false), (plain.Mode, plain.Autoremove));
        var seen = await TestFleet.GetRolloutAsync(Fleet["node-2"], id);
        Assert.Equal((UpgradeModes.FullUpgrade, true), (seen.Mode, seen.Autoremove));
        var job3 = Assert.Single(await Fleet["node-3"].JobsAsync(), job => job.JobId.ToString() == plain.Hosts[0].JobId);
        Assert.Equal((UpgradeModes.Upgrade, false), (job3.Mode, job3.Autoremove));
        Assert.DoesNotContain("--full-upgrade", Fleet["node-3"].Arguments[^1].Split(' '));
    }

    [Fact]
    public async Task Should_refuse_an_unknown_mode_with_400_and_start_nothing()
    {
        var rolloutsBefore = (await TestFleet.ListRolloutsAsync(Controller)).Length;

        using var unknown = await Controller.PostJsonAsync(FleetPaths.Rollouts, """{"dryRun": true, "hosts": "all", "mode": "dist-upgrade"}""");
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("Unknown mode 'dist-upgrade'", await unknown.Content.ReadAsStringAsync());
        using var notBoolean = await Controller.PostJsonAsync(FleetPaths.Rollouts, """{"dryRun": true, "hosts": "all", "autoremove": "yes"}""");
        Assert.Equal(HttpStatusCode.BadRequest, notBoolean.StatusCode);
        Assert.Equal(rolloutsBefore, (await TestFleet.ListRolloutsAsync(Controller)).Length);
    }

    [Fact]
    public async Task Should_stop_at_the_first_failure_with_max_failures_0_and_leave_the_rest_untouched()
    {
        var runsBefore = Fleet.Nodes.ToDictionary(node => node.Name, node => node.Runs);
        Fleet["node-3"].Fail(true);
        try
        {
            var id = await TestFleet.StartRolloutAsync(Controller, $$"""{"dryRun": true, "hosts": {{FourHosts}}, "canary": 1, "batchSize": 2, "maxFailures": 0}""");
            var rollout = await TestFleet.WaitForEndAsync(Controller, id);

            Assert.Equal(RolloutStatus.Failed, rollout.Status);
            Assert.Equal("maxFailuresExceeded", rollout.Reason);
            var hosts = rollout.Hosts.ToDictionary(host => host.Host);
            Assert.Equal(HostRolloutState.Succeeded, hosts["node-2"].State);
            Assert.Equal(HostRolloutState.Failed, hosts["node-3"].State);
            Assert.Equal("scriptFailed", hosts["node-3"].Reason);
            // node-4 was in the same batch: it had started and finished on its own.
            Assert.Equal(HostRolloutState.Succeeded, hosts["node-4"].State);
            Assert.Equal(HostRolloutState.Skipped, hosts["node-1"].State);
            Assert.Equal("maxFailuresExceeded", hosts["node-1"].Reason);
            Assert.Null(hosts["node-1"].JobId);
            Assert.Equal(runsBefore["node-1"], Fleet["node-1"].Runs);
            Assert.Equal(runsBefore["node-2"] + 1, Fleet["node-2"].Runs);
        }
        finally
        {
            Fleet["node-3"].Fail(false);
        }
    }

    [Fact]
    public async Task Should_merge_every_hosts_log_exactly_as_each_host_has_it()
    {
        // Held at the canary, so the client is connected before any host ends: live, then replay.
        Fleet["node-2"].Hold(true);
        var id = await TestFleet.StartRolloutAsync(Controller, $$"""{"dryRun": true, "hosts": {{FourHosts}}, "canary": 1, "batchSize": 2}""");
        var reading = MergedLog.ReadAsync(Controller, FleetPaths.Logs(id), TestFleet.Patience);
        await Eventually.WaitUntilAsync(() => Fleet["node-2"].IsRunning, TestFleet.Patience, "node-2 running");
        Fleet["node-2"].Hold(false);
        var (frames, close) = await reading;
        var rollout = await TestFleet.GetRolloutAsync(Controller, id);

        Assert.Equal(WebSocketCloseStatus.NormalClosure, close);
        Assert.Equal(new FleetRolloutEndFrame(id, RolloutStatus.Completed), frames[^1]);
        foreach (var host in rollout.Hosts)
        {
            var own = await MergedLog.OwnLogAsync(Fleet[host.Host], host.JobId!);
            var merged = frames.OfType<FleetLineFrame>().Where(frame => frame.Host == host.Host).ToList();
            Assert.True(own.Count > 20, $"{host.Host} has a log of its own");
            Assert.Equal(
                own.Select(line => (line.Seq, line.Stream, line.Time, line.Text)),
                merged.Select(line => (line.Seq, line.Stream, line.Time, line.Text)));
            var end = Assert.Single(frames.OfType<FleetEndFrame>(), frame => frame.Host == host.Host);
            Assert.Equal(JobStatus.Succeeded, end.Status);
            Assert.Equal(own[^1].Seq, end.LastSeq);
        }

        // Resuming per host: after=node-2:10 replays node-2 from line 11 and the others whole.
        var (resumed, _) = await MergedLog.ReadAsync(Controller, $"{FleetPaths.Logs(id)}?after=node-2:10", TestFleet.Patience);
        var node2 = resumed.OfType<FleetLineFrame>().Where(frame => frame.Host == "node-2").Select(frame => frame.Seq).ToList();
        Assert.Equal(11, node2[0]);
        Assert.Equal(Enumerable.Range(11, node2.Count).Select(seq => (long)seq), node2);
        Assert.Equal(1, resumed.OfType<FleetLineFrame>().First(frame => frame.Host == "node-3").Seq);
    }

    [Fact]
    public async Task Should_start_no_host_while_paused_and_go_on_when_resumed()
    {
        Fleet["node-2"].Hold(true);
        var id = await TestFleet.StartRolloutAsync(Controller, """{"dryRun": true, "hosts": ["node-2", "node-3"], "batchSize": 1}""");
        await Eventually.WaitUntilAsync(() => Fleet["node-2"].IsRunning, TestFleet.Patience, "node-2 running");

        using (var paused = await Controller.PostJsonAsync(FleetPaths.Rollout(id) + "/pause", ""))
        {
            Assert.Equal(HttpStatusCode.OK, paused.StatusCode);
            Assert.Equal(RolloutStatus.Paused, (await paused.Content.ReadFromJsonAsync<RolloutView>(ContractJson.Options))!.Status);
        }

        // Another rollout waits for this one, paused or not.
        using (var second = await Controller.PostJsonAsync(FleetPaths.Rollouts, """{"dryRun": true, "hosts": ["node-4"]}"""))
        {
            Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
            var problem = (await second.Content.ReadFromJsonAsync<ApiProblem>(ContractJson.Options))!;
            Assert.Equal((RolloutProblemCodes.Conflict, id), (problem.Code, problem.RolloutId));
        }

        Fleet["node-2"].Hold(false);
        // node-2's end and the decision about node-3 are one step of the coordinator: seeing the
        // first with node-3 still pending shows that pausing held it.
        var held = await TestFleet.WaitForRolloutAsync(Controller, id, r => r.Hosts[0].State == HostRolloutState.Succeeded, "node-2 finished");
        Assert.Equal(HostRolloutState.Pending, held.Hosts[1].State);
        Assert.Equal(RolloutStatus.Paused, held.Status);

        using (var resumed = await Controller.PostJsonAsync(FleetPaths.Rollout(id) + "/resume", ""))
        {
            Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
        }

        var rollout = await TestFleet.WaitForEndAsync(Controller, id);
        Assert.Equal(RolloutStatus.Completed, rollout.Status);
        Assert.Equal(HostRolloutState.Succeeded, rollout.Hosts[1].State);
        using var again = await Controller.PostJsonAsync(FleetPaths.Rollout(id) + "/resume", "");
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    [Fact]
    public async Task Should_cancel_the_running_job_and_skip_the_rest()
    {
        Fleet["node-2"].Hold(true);
        try
        {
            var id = await TestFleet.StartRolloutAsync(Controller, """{"dryRun": true, "hosts": ["node-2", "node-3"], "batchSize": 1}""");
            await Eventually.WaitUntilAsync(() => Fleet["node-2"].IsRunning, TestFleet.Patience, "node-2 running");
            var runsOfNode3 = Fleet["node-3"].Runs;

            using (var cancelled = await Controller.PostJsonAsync(FleetPaths.Rollout(id) + "/cancel", ""))
            {
                Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
            }

            var rollout = await TestFleet.WaitForEndAsync(Controller, id);
            Assert.Equal(RolloutStatus.Cancelled, rollout.Status);
            Assert.Equal(HostRolloutState.Failed, rollout.Hosts[0].State);
            Assert.Equal("cancelled", rollout.Hosts[0].Reason);
            Assert.Equal(HostRolloutState.Skipped, rollout.Hosts[1].State);
            Assert.Equal("cancelled", rollout.Hosts[1].Reason);
            Assert.Equal(runsOfNode3, Fleet["node-3"].Runs);
        }
        finally
        {
            Fleet["node-2"].Hold(false);
        }
    }

    [Fact]
    public async Task Should_take_rollouts_only_on_a_controller_and_refuse_hosts_that_are_not_members()
    {
        using var onHost = await Fleet["node-2"].PostJsonAsync(FleetPaths.Rollouts, """{"dryRun": true, "hosts": "all"}""");
        Assert.Equal(HttpStatusCode.Forbidden, onHost.StatusCode);

        using var unknown = await Controller.PostJsonAsync(FleetPaths.Rollouts, """{"dryRun": true, "hosts": ["node-2", "nobody"]}""");
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("nobody", await unknown.Content.ReadAsStringAsync());

        using var bad = await Controller.PostJsonAsync(FleetPaths.Rollouts, """{"dryRun": "yes", "hosts": "all"}""");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);

        // The body is read as POST /upgrade reads it: JSON only, and bounded.
        var rolloutsBefore = (await TestFleet.ListRolloutsAsync(Controller)).Length;
        using var form = await Controller.Client.PostAsync(FleetPaths.Rollouts, new StringContent("""{"dryRun": true, "hosts": "all"}""", Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, form.StatusCode);
        Assert.Contains("Content-Type: application/json", await form.Content.ReadAsStringAsync());
        using var huge = await Controller.PostJsonAsync(FleetPaths.Rollouts, $$"""{"dryRun": true, "hosts": "all", "pad": "{{new string('x', 70_000)}}"}""");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, huge.StatusCode);
        Assert.Equal(rolloutsBefore, (await TestFleet.ListRolloutsAsync(Controller)).Length);

        // Reading works on any node, through the singleton's proxy.
        using var list = await Fleet["node-3"].Client.GetAsync(FleetPaths.Rollouts);
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        using var missing = await Fleet["node-3"].Client.GetAsync(FleetPaths.Rollout(Guid.NewGuid().ToString()));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }
}
