using Akka.TestKit.Xunit2;
using PinsDaemon.Actors.Jobs;
using PinsDaemon.Actors.Schedule;
using PinsDaemon.Actors.Tests.TestSupport;
using PinsDaemon.Contracts;
using Xunit;

namespace PinsDaemon.Actors.Tests.Schedule;

public sealed class CheckSchedulerSpecs : TestKit
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
    private static readonly CheckScheduleSettings Daily = new(TimeSpan.FromDays(1), TimeSpan.FromHours(1), TimeSpan.FromMinutes(15));

    private readonly TempDirectory _storage = new();

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        _storage.Dispose();
    }

    [Fact]
    public void Should_plan_the_first_check_one_period_and_a_random_delay_after_the_first_start()
    {
        Assert.Equal(new ScheduleState(null, T0.AddDays(1).AddMinutes(20)), CheckSchedule.Plan(null, T0, Daily, TimeSpan.FromMinutes(20)));
    }

    [Fact]
    public void Should_keep_a_saved_due_time_even_when_it_has_passed()
    {
        var saved = new ScheduleState(T0.AddDays(-3), T0.AddDays(-2).AddMinutes(30));
        Assert.Equal(saved, CheckSchedule.Plan(saved, T0, Daily, TimeSpan.FromMinutes(5)));
        var notYet = new ScheduleState(T0.AddHours(-2), T0.AddHours(22).AddMinutes(40));
        Assert.Equal(notYet, CheckSchedule.Plan(notYet, T0, Daily, TimeSpan.FromMinutes(5)));
    }

    [Fact]
    public void Should_plan_again_when_the_period_changed_or_the_clock_went_back()
    {
        // Saved under a weekly period; now daily: a day after the last check, with a new delay.
        var weekly = new ScheduleState(T0.AddHours(-2), T0.AddDays(7));
        Assert.Equal(new ScheduleState(T0.AddHours(-2), T0.AddHours(22).AddMinutes(5)), CheckSchedule.Plan(weekly, T0, Daily, TimeSpan.FromMinutes(5)));

        // The clock is a year behind the saved times: never wait more than a period and a delay.
        var future = new ScheduleState(T0.AddYears(1), T0.AddYears(1).AddDays(1));
        Assert.Equal(T0.AddDays(1).AddMinutes(5), CheckSchedule.Plan(future, T0, Daily, TimeSpan.FromMinutes(5)).NextCheckAt);
    }

    [Fact]
    public async Task Should_start_only_dry_runs_retry_a_refused_check_no_sooner_than_asked_and_save_the_next_due_time()
    {
        var file = new ScheduleStateFile(_storage.Path);
        var settings = new CheckScheduleSettings(TimeSpan.FromDays(1), TimeSpan.Zero, TimeSpan.FromSeconds(1));
        var jobs = CreateTestProbe();
        var overdue = new ScheduleState(DateTimeOffset.UtcNow.AddDays(-2), DateTimeOffset.UtcNow.AddDays(-1));
        Sys.ActorOf(CheckScheduler.Props(settings, jobs.Ref, file, overdue, TimeProvider.System));

        var first = await jobs.ExpectMsgAsync<JobProtocol.StartJob>(TimeSpan.FromSeconds(10));
        Assert.True(first.DryRun);
        Assert.Equal(JobTriggers.Schedule, first.Trigger);
        jobs.Reply(new JobProtocol.JobRejected(JobId.New(), "busy"));
        // Not in a loop: the next attempt waits for RetryAfter.
        await jobs.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(700));
        var second = await jobs.ExpectMsgAsync<JobProtocol.StartJob>(TimeSpan.FromSeconds(10));
        Assert.True(second.DryRun);
        jobs.Reply(new JobProtocol.StartRefusedForReboot(DateTimeOffset.UtcNow.AddMinutes(1)));
        await jobs.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(700));
        await jobs.ExpectMsgAsync<JobProtocol.StartJob>(TimeSpan.FromSeconds(10));

        var createdAt = DateTimeOffset.UtcNow;
        jobs.Reply(new JobProtocol.JobStarted(new JobSnapshot(JobId.New(), JobStatus.Running, true, createdAt, null, null, null, 0, null) { Trigger = JobTriggers.Schedule }));
        await AwaitAssertAsync(() => Assert.Equal(new ScheduleState(createdAt, createdAt.AddDays(1)), file.Load()), TimeSpan.FromSeconds(10));
        await jobs.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
    }
}
