using PinsDaemon.Actors.Runs;
using Xunit;

namespace PinsDaemon.Actors.Tests.Runs;

/// <summary>What the daemon makes of a run without an exit record: the re-attach decisions.</summary>
public sealed class RunCheckSpecs
{
    private const string Boot = "b0b0b0b0-0000-4000-8000-000000000001";
    private static readonly RunRecord Record = new(RunRecord.Systemd, "pinsdaemon-upgrade@apply-x.service", null, Boot, "apply", 1);

    [Fact]
    public void Should_keep_following_a_run_that_is_alive()
    {
        Assert.Equal(RunVerdict.Keep, RunCheck.Decide(Record, Boot, alive: true, deadBefore: false, TimeSpan.FromMinutes(5)));
    }

    [Fact]
    public void Should_look_again_before_calling_a_dead_run_lost()
    {
        // The unit is gone a moment before ExecStopPost='s exit record lands.
        Assert.Equal(RunVerdict.CheckAgain, RunCheck.Decide(Record, Boot, alive: false, deadBefore: false, TimeSpan.FromMinutes(5)));
        Assert.Equal(RunVerdict.RunnerLost, RunCheck.Decide(Record, Boot, alive: false, deadBefore: true, TimeSpan.FromMinutes(5)));
    }

    [Fact]
    public void Should_call_a_run_from_another_boot_interrupted_by_a_reboot_even_if_a_pid_looks_alive()
    {
        var other = Record with { BootId = "b0b0b0b0-0000-4000-8000-000000000002" };
        Assert.Equal(RunVerdict.RebootDuringRun, RunCheck.Decide(other, Boot, alive: true, deadBefore: false, TimeSpan.Zero));
        Assert.Equal(RunVerdict.RebootDuringRun, RunCheck.Decide(other, Boot, alive: false, deadBefore: true, TimeSpan.Zero));
    }

    [Fact]
    public void Should_wait_a_moment_for_a_run_record_then_call_the_run_lost()
    {
        Assert.Equal(RunVerdict.Keep, RunCheck.Decide(null, Boot, alive: null, deadBefore: false, TimeSpan.FromSeconds(1)));
        Assert.Equal(RunVerdict.RunnerLost, RunCheck.Decide(null, Boot, alive: null, deadBefore: false, RunCheck.RecordGrace));
    }

    [Fact]
    public void Should_read_run_and_exit_records_as_the_script_writes_them()
    {
        var run = RunRecord.Parse("supervisor=detached pid=4242 boot_id=" + Boot + " mode=dry-run started=1796015096\n")!;
        Assert.Equal(new RunRecord(RunRecord.Detached, null, 4242, Boot, "dry-run", 1796015096), run);
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
