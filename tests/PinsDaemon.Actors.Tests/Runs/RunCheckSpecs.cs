using PinsDaemon.Actors.Runs;
using Xunit;

namespace PinsDaemon.Actors.Tests.Runs;

/// <summary>What the daemon makes of a run without an exit record: the re-attach decisions.</summary>
public sealed class RunCheckSpecs
{
    private const string Boot = "b0b0b0b0-0000-4000-8000-000000000001";
    private static readonly BootIdentity ThisBoot = new(Boot, 800409);
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_796_021_212);
    private static readonly RunRecord Record = new(RunRecord.Systemd, "pinsdaemon-upgrade@apply-x.service", null, Boot, "apply", Now.AddMinutes(-5).ToUnixTimeSeconds(), 800409);

    private static RunVerdict Decide(
        RunRecord? record,
        RunLiveness liveness,
        bool deadBefore = false,
        bool seenAlive = true,
        TimeSpan? sinceAttach = null,
        BootIdentity? boot = null) =>
        RunCheck.Decide(record, boot ?? ThisBoot, liveness, deadBefore, seenAlive, sinceAttach ?? TimeSpan.FromMinutes(5), Now);

    [Fact]
    public void Should_keep_following_a_run_that_is_alive()
    {
        Assert.Equal(RunVerdict.Keep, Decide(Record, RunLiveness.Alive));
    }

    [Fact]
    public void Should_look_again_before_calling_a_dead_run_lost()
    {
        // The unit is gone a moment before ExecStopPost='s exit record lands.
        Assert.Equal(RunVerdict.CheckAgain, Decide(Record, RunLiveness.Gone));
        Assert.Equal(RunVerdict.RunnerLost, Decide(Record, RunLiveness.Gone, deadBefore: true));
    }

    [Fact]
    public void Should_never_take_a_failed_look_for_a_live_run()
    {
        // systemctl without D-Bus, an unreadable cgroup: the run is not known to be alive, so
        // it is treated as not seen, and is lost if that stays so.
        Assert.Equal(RunVerdict.CheckAgain, Decide(Record, RunLiveness.Unknown));
        Assert.Equal(RunVerdict.RunnerLost, Decide(Record, RunLiveness.Unknown, deadBefore: true));
    }

    [Fact]
    public void Should_give_a_unit_launched_moments_ago_time_to_start_unless_it_was_seen_alive_before()
    {
        // systemd queued the unit's start; its control group is not there yet.
        var launched = Record with { Started = Now.AddSeconds(-2).ToUnixTimeSeconds() };
        Assert.Equal(RunVerdict.Keep, Decide(launched, RunLiveness.Gone, deadBefore: true, seenAlive: false));
        Assert.Equal(RunVerdict.Keep, Decide(launched, RunLiveness.Unknown, deadBefore: true, seenAlive: false));
        Assert.Equal(RunVerdict.RunnerLost, Decide(launched, RunLiveness.Gone, deadBefore: true, seenAlive: true));

        var longAgo = Record with { Started = (Now - RunCheck.StartGrace).ToUnixTimeSeconds() };
        Assert.Equal(RunVerdict.RunnerLost, Decide(longAgo, RunLiveness.Gone, deadBefore: true, seenAlive: false));
        Assert.Equal(RunVerdict.RunnerLost, Decide(Record with { Started = null }, RunLiveness.Gone, deadBefore: true, seenAlive: false));

        // A detached run's record is written once its process runs: no time to start is needed.
        var detached = launched with { Supervisor = RunRecord.Detached, Pid = 4242 };
        Assert.Equal(RunVerdict.RunnerLost, Decide(detached, RunLiveness.Gone, deadBefore: true, seenAlive: false));
    }

    [Fact]
    public void Should_call_a_run_from_another_boot_interrupted_by_a_reboot_even_if_a_pid_looks_alive()
    {
        var other = Record with { BootId = "b0b0b0b0-0000-4000-8000-000000000002" };
        Assert.Equal(RunVerdict.RebootDuringRun, Decide(other, RunLiveness.Alive, sinceAttach: TimeSpan.Zero));
        Assert.Equal(RunVerdict.RebootDuringRun, Decide(other, RunLiveness.Gone, deadBefore: true, sinceAttach: TimeSpan.Zero));
    }

    [Fact]
    public void Should_call_a_run_interrupted_by_a_reboot_when_pid_1_started_anew_under_the_same_kernel()
    {
        // A container's reboot: the kernel's boot id stays (and is all a sandboxed unit sees),
        // PID 1 is a new process.
        Assert.Equal(RunVerdict.RebootDuringRun, Decide(Record with { InitStart = 800035 }, RunLiveness.Gone, sinceAttach: TimeSpan.Zero));
        Assert.Equal(RunVerdict.RebootDuringRun, Decide(Record, RunLiveness.Alive, boot: ThisBoot with { InitStart = 800764 }));

        // What either side could not read decides nothing; records from before init_start agree.
        Assert.Equal(RunVerdict.Keep, Decide(Record with { InitStart = null }, RunLiveness.Alive));
        Assert.Equal(RunVerdict.Keep, Decide(Record, RunLiveness.Alive, boot: ThisBoot with { InitStart = null }));
        Assert.Equal(RunVerdict.Keep, Decide(Record with { BootId = null }, RunLiveness.Alive));
        Assert.Equal(RunVerdict.Keep, Decide(Record, RunLiveness.Alive, boot: ThisBoot with { BootId = string.Empty }));
    }

    [Fact]
    public void Should_wait_a_moment_for_a_run_record_then_call_the_run_lost()
    {
        Assert.Equal(RunVerdict.Keep, Decide(null, RunLiveness.Unknown, sinceAttach: TimeSpan.FromSeconds(1)));
        Assert.Equal(RunVerdict.RunnerLost, Decide(null, RunLiveness.Unknown, sinceAttach: RunCheck.RecordGrace));
    }

    [Fact]
    public void Should_read_pid_1s_start_time_whatever_its_name_holds()
    {
        const string tail = " S 0 1 1 0 -1 4194560 46107 1043290 120 1395 301 230 4085 1632 20 0 1 0 800409 23838720 2954 18446744073709551615";
        Assert.Equal(800409, BootIdentity.ParseStartTime("1 (systemd)" + tail));
        Assert.Equal(800409, BootIdentity.ParseStartTime("1 (a) b (c d)" + tail));
        Assert.Null(BootIdentity.ParseStartTime("1 (systemd) S 0 1"));
        Assert.Null(BootIdentity.ParseStartTime(string.Empty));
    }

    [Fact]
    public void Should_read_run_and_exit_records_as_the_script_writes_them()
    {
        var run = RunRecord.Parse("supervisor=detached pid=4242 boot_id=" + Boot + " init_start=800409 mode=dry-run started=1796015096\n")!;
        Assert.Equal(new RunRecord(RunRecord.Detached, null, 4242, Boot, "dry-run", 1796015096, 800409), run);
        Assert.Null(RunRecord.Parse("supervisor=systemd boot_id=" + Boot + " init_start=")!.InitStart);
        Assert.Null(RunRecord.Parse("supervisor=cron pid=1"));
        Assert.Null(RunRecord.Parse(string.Empty));

        Assert.Equal(0, ExitRecord.Parse("result=success exit_code=exited exit_status=0\n")!.ShellCode);
        Assert.Equal(73, ExitRecord.Parse("result=exit-code exit_code=exited exit_status=73")!.ExitCode);
        var killed = ExitRecord.Parse("result=signal exit_code=killed exit_status=KILL")!;
        Assert.Equal("KILL", killed.Signal);
        Assert.Null(killed.ExitCode);
        Assert.Equal(137, killed.ShellCode);
        Assert.Equal("TERM", ExitRecord.Parse("result=signal exit_code=killed exit_status=SIGTERM")!.Signal);
        Assert.Null(ExitRecord.Parse("result=success"));
    }
}
