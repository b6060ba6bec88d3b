using PinsDaemon.Contracts;
using PinsDaemon.Fleet.Agents;
using PinsDaemon.Fleet.Rollouts;

namespace PinsDaemon.Fleet.Tests.Units;

public sealed class RolloutPlanSpecs
{
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    private static RolloutRecord Rollout(int canary, int batchSize, int maxFailures, params string[] hosts) =>
        new("r", new RolloutRequest(true, RolloutHosts.Named(hosts), canary, batchSize, maxFailures, RebootPolicy.Never), RolloutStatus.Running, Now, RolloutPlan.Entries(hosts, canary, batchSize));

    private static RolloutRecord With(RolloutRecord record, string host, HostRolloutState state) =>
        record.WithHost(record.Find(host)! with { State = state });

    [Theory]
    [InlineData(1, 2, new[] { 0, 1, 1, 2 })]
    [InlineData(0, 2, new[] { 0, 0, 1, 1 })]
    [InlineData(2, 1, new[] { 0, 0, 1, 2 })]
    [InlineData(0, 10, new[] { 0, 0, 0, 0 })]
    public void Should_put_the_canaries_alone_in_group_0_then_batches(int canary, int batchSize, int[] groups)
    {
        Assert.Equal(groups, RolloutPlan.Entries(["a", "b", "c", "d"], canary, batchSize).Select(entry => entry.Group));
    }

    [Fact]
    public void Should_start_only_the_canary_first()
    {
        var step = RolloutPlan.Next(Rollout(1, 2, 0, "a", "b", "c", "d"), Now);
        Assert.Equal(["a"], step.Dispatch);
    }

    [Fact]
    public void Should_start_a_batch_only_when_every_host_before_it_is_final()
    {
        var record = With(Rollout(1, 2, 0, "a", "b", "c", "d"), "a", HostRolloutState.Running);
        Assert.Empty(RolloutPlan.Next(record, Now).Dispatch);

        record = With(record, "a", HostRolloutState.Succeeded);
        Assert.Equal(["b", "c"], RolloutPlan.Next(record, Now).Dispatch);

        record = With(With(record, "b", HostRolloutState.Succeeded), "c", HostRolloutState.Running);
        Assert.Empty(RolloutPlan.Next(record, Now).Dispatch);

        record = With(record, "c", HostRolloutState.Succeeded);
        Assert.Equal(["d"], RolloutPlan.Next(record, Now).Dispatch);
    }

    [Fact]
    public void Should_stop_starting_hosts_once_failures_exceed_max_failures_and_skip_the_rest()
    {
        var record = With(With(With(Rollout(1, 2, 0, "a", "b", "c", "d"), "a", HostRolloutState.Succeeded), "b", HostRolloutState.Failed), "c", HostRolloutState.Running);

        var step = RolloutPlan.Next(record, Now);

        Assert.Empty(step.Dispatch);
        Assert.Equal(RolloutStatus.Failed, step.Record.Status);
        Assert.Equal(RolloutPlan.MaxFailuresExceeded, step.Record.Reason);
        Assert.Equal(HostRolloutState.Running, step.Record.Find("c")!.State);
        Assert.Equal(HostRolloutState.Skipped, step.Record.Find("d")!.State);
        Assert.Equal(RolloutPlan.MaxFailuresExceeded, step.Record.Find("d")!.Reason);
        Assert.Null(step.Record.FinishedAt);

        var ended = RolloutPlan.Next(With(step.Record, "c", HostRolloutState.Succeeded), Now);
        Assert.Equal(Now, ended.Record.FinishedAt);
        Assert.Equal(RolloutStatus.Failed, ended.Record.Status);
    }

    [Fact]
    public void Should_count_unreachable_hosts_as_failures_and_go_on_within_max_failures()
    {
        var record = With(Rollout(0, 1, 1, "a", "b"), "a", HostRolloutState.Unreachable);

        var step = RolloutPlan.Next(record, Now);

        Assert.Equal(1, step.Record.Failures);
        Assert.Equal(["b"], step.Dispatch);
        Assert.Equal(RolloutStatus.Running, step.Record.Status);
    }

    [Fact]
    public void Should_start_nothing_while_paused_and_skip_everything_pending_when_cancelled()
    {
        var paused = Rollout(0, 1, 0, "a", "b") with { Status = RolloutStatus.Paused };
        Assert.Empty(RolloutPlan.Next(paused, Now).Dispatch);
        Assert.Null(RolloutPlan.Next(paused, Now).Record.FinishedAt);

        var cancelled = RolloutPlan.Next(With(Rollout(0, 1, 0, "a", "b"), "a", HostRolloutState.Running) with { Status = RolloutStatus.Cancelled }, Now);
        Assert.Empty(cancelled.Dispatch);
        Assert.Equal(HostRolloutState.Skipped, cancelled.Record.Find("b")!.State);
        Assert.Equal(RolloutPlan.CancelledReason, cancelled.Record.Find("b")!.Reason);
        Assert.Null(cancelled.Record.FinishedAt);
    }

    [Fact]
    public void Should_complete_once_every_host_is_final_and_change_nothing_after()
    {
        var record = With(With(Rollout(0, 2, 1, "a", "b"), "a", HostRolloutState.Succeeded), "b", HostRolloutState.Failed);

        var step = RolloutPlan.Next(record, Now);

        Assert.Equal(RolloutStatus.Completed, step.Record.Status);
        Assert.Equal(Now, step.Record.FinishedAt);
        Assert.Same(step.Record, RolloutPlan.Next(step.Record, Now.AddHours(1)).Record);
    }

    [Fact]
    public void Should_fail_a_host_whose_job_did_not_succeed_with_the_jobs_reason()
    {
        var host = new HostEntry("a", 0, HostRolloutState.Running);
        var job = new AgentJobState(JobId.New(), JobStatus.Failed, 100, 3, "lockHeld", "apt's lock was held", Now, Now, null, null);

        var failed = RolloutPlan.Finish(host, job, Now);
        Assert.Equal(HostRolloutState.Failed, failed.State);
        Assert.Equal("lockHeld", failed.Reason);
        Assert.Equal(job.JobId, failed.JobId);

        var interrupted = RolloutPlan.Finish(host, job with { Status = JobStatus.Interrupted, Reason = null }, Now);
        Assert.Equal("interrupted", interrupted.Reason);

        var succeeded = RolloutPlan.Finish(host, job with { Status = JobStatus.Succeeded, Reason = null }, Now);
        Assert.Equal(HostRolloutState.Succeeded, succeeded.State);
        Assert.Null(succeeded.Reason);
    }

    [Fact]
    public void Should_reboot_only_an_apply_that_asked_for_it_under_if_required()
    {
        var job = new AgentJobState(JobId.New(), JobStatus.Succeeded, 0, 3, null, null, Now, Now, RebootRequired: true, null);
        var apply = new RolloutRequest(false, RolloutHosts.Named(["a"]), 0, 1, 0, RebootPolicy.IfRequired);

        Assert.True(RolloutPlan.NeedsReboot(apply, job));
        Assert.False(RolloutPlan.NeedsReboot(apply with { Reboot = RebootPolicy.Never }, job));
        Assert.False(RolloutPlan.NeedsReboot(apply with { DryRun = true }, job));
        Assert.False(RolloutPlan.NeedsReboot(apply, job with { RebootRequired = null }));
        Assert.False(RolloutPlan.NeedsReboot(apply, job with { Status = JobStatus.Failed }));
    }
}
