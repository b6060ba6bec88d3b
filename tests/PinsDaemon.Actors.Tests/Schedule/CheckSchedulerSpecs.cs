using Akka.Actor;
using Akka.TestKit;
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

    /// <summary>
    /// Akka's timers run on a scheduler the spec advances by hand: "no sooner than RetryAfter" is
    /// then a fact of the schedule, not a race between the actor's timer and the test's thread.
    /// </summary>
    public CheckSchedulerSpecs()
        : base("akka.scheduler.implementation = \"Akka.TestKit.TestScheduler, Akka.TestKit\"")
    {
    }

    private TestScheduler Clock => (TestScheduler)Sys.Scheduler;

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
        var retryAfter = TimeSpan.FromMinutes(15);
        var settings = new CheckScheduleSettings(TimeSpan.FromDays(1), TimeSpan.Zero, retryAfter);
        var jobs = CreateTestProbe();
        var overdue = new ScheduleState(DateTimeOffset.UtcNow.AddDays(-2), DateTimeOffset.UtcNow.AddDays(-1));
        var scheduler = Sys.ActorOf(CheckScheduler.Props(settings, jobs.Ref, file, overdue, TimeProvider.System));

        // An overdue check starts at once.
        var first = await jobs.ExpectMsgAsync<JobProtocol.StartJob>(TimeSpan.FromSeconds(30));
        Assert.True(first.DryRun);
        Assert.Equal(JobTriggers.Schedule, first.Trigger);

        // Refused: not in a loop; the next attempt comes RetryAfter later, not a moment sooner.
        jobs.Reply(new JobProtocol.JobRejected(JobId.New(), "busy"));
        await RetriedOnlyAfterAsync(scheduler, jobs, retryAfter);
        jobs.Reply(new JobProtocol.StartRefusedForReboot(DateTimeOffset.UtcNow.AddMinutes(1)));
        await RetriedOnlyAfterAsync(scheduler, jobs, retryAfter);

        // Started: the next check is a period after it, saved, and nothing more is asked now.
        var createdAt = DateTimeOffset.UtcNow;
        jobs.Reply(new JobProtocol.JobStarted(new JobSnapshot(JobId.New(), JobStatus.Running, true, createdAt, null, null, null, 0, null) { Trigger = JobTriggers.Schedule }));
        await AwaitAssertAsync(() => Assert.Equal(new ScheduleState(createdAt, createdAt.AddDays(1)), file.Load()), TimeSpan.FromSeconds(30));
        await ProcessedAsync(scheduler);
        Clock.Advance(TimeSpan.FromMinutes(59));
        await ProcessedAsync(scheduler);
        jobs.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    /// <summary>After the reply just sent: no attempt until <paramref name="retryAfter"/> has passed on the scheduler, one right then (a dry run).</summary>
    private async Task RetriedOnlyAfterAsync(IActorRef scheduler, TestProbe jobs, TimeSpan retryAfter)
    {
        await ProcessedAsync(scheduler);
        Clock.Advance(retryAfter - TimeSpan.FromSeconds(1));
        await ProcessedAsync(scheduler);
        jobs.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True((await jobs.ExpectMsgAsync<JobProtocol.StartJob>(TimeSpan.FromSeconds(30))).DryRun);
    }

    /// <summary>
    /// Returns once the actor has handled every message sent to it before (Identify is answered
    /// in mailbox order), so its timers are set before the scheduler is advanced.
    /// </summary>
    private static Task ProcessedAsync(IActorRef actor) => actor.Ask<ActorIdentity>(new Identify(null), TimeSpan.FromSeconds(30));
}
