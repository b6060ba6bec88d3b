using PinsDaemon.Actors.Apt;
using PinsDaemon.Actors.Jobs;
using PinsDaemon.Actors.Runs;
using PinsDaemon.Contracts;
using Xunit;

namespace PinsDaemon.Actors.Tests.Jobs;

/// <summary>The outcome as a pure function of how the run ended and what it said.</summary>
public sealed class JobOutcomeSpecs
{
    private static readonly TimeSpan Timeout = TimeSpan.FromHours(2);

    private static RunEnd Exited(int code) => new RunEnd.Exited(new ExitRecord(code == 0 ? "success" : "exit-code", "exited", code.ToString()));

    private static RunEnd Killed(string signal) => new RunEnd.Exited(new ExitRecord("signal", "killed", signal));

    /// <summary>What a run said through its status events, as the job's report gathers it.</summary>
    private static RunFacts Said(bool dryRun, params string[] events)
    {
        var report = new JobReport(dryRun, statusOnStdout: false);
        foreach (var evt in events)
        {
            report.ApplyEvent(evt);
        }

        return report.Facts;
    }

    private static JobResult Decide(bool dryRun, RunEnd end, RunFacts facts, StopRequest stop = StopRequest.None, bool usedSudo = true) =>
        JobOutcome.Decide(dryRun, end, facts, stop, Timeout, usedSudo);

    [Fact]
    public void Should_report_a_succeeded_dry_run_with_its_plan_from_the_events()
    {
        var result = Decide(true, Exited(0), Said(true, "phase simulate", "plan Inst zip [3.0-13] (3.0-14 Debian:12 [amd64])", "plan Conf zip (3.0-14 Debian:12 [amd64])", "exit 0"));
        Assert.Equal(JobStatus.Succeeded, result.Status);
        Assert.Null(result.Reason);
        Assert.Equal(["zip"], result.Plan!.Select(p => p.Package));
        Assert.Contains("1 package", result.Message);
        Assert.Null(result.Upgraded);
        Assert.Null(result.RebootRequired);
    }

    [Fact]
    public void Should_say_nothing_to_upgrade_with_an_empty_plan_only_when_the_run_said_so()
    {
        Assert.Empty(Decide(true, Exited(0), Said(true, "phase simulate", "exit 0")).Plan!);
        // A script that speaks no status channel: the plan is unknown, not empty.
        Assert.Null(Decide(true, Exited(0), RunFacts.None).Plan);
    }

    [Fact]
    public void Should_report_a_succeeded_apply_with_what_dpkg_changed_and_the_reboot()
    {
        var result = Decide(false, Exited(0), Said(false, "phase install", "upgraded zip 3.0-13 3.0-14", "upgraded sl - 5.02-1", "reboot-required linux-image-amd64", "restart-service ssh.service", "exit 0"));
        Assert.Equal(JobStatus.Succeeded, result.Status);
        Assert.Equal([new UpgradedPackage("zip", "3.0-13", "3.0-14"), new UpgradedPackage("sl", null, "5.02-1")], result.Upgraded);
        Assert.True(result.RebootRequired);
        Assert.Equal(["linux-image-amd64"], result.RebootRequiredPackages);
        Assert.Equal(["ssh.service"], result.ServicesNeedingRestart);
        Assert.Null(result.Plan);
        Assert.Contains("A reboot is required", result.Message);

        var noReboot = Decide(false, Exited(0), Said(false, "phase install", "exit 0"));
        Assert.False(noReboot.RebootRequired);
        Assert.Null(noReboot.RebootRequiredPackages);
    }

    [Theory]
    [InlineData(64, "badArguments")]
    [InlineData(70, "lockHeld")]
    [InlineData(71, "updateFailed")]
    [InlineData(72, "dpkgRepairFailed")]
    [InlineData(73, "upgradeFailed")]
    [InlineData(74, "scriptError")]
    [InlineData(77, "notRoot")]
    [InlineData(126, "startFailed")]
    [InlineData(127, "startFailed")]
    [InlineData(3, "scriptFailed")]
    public void Should_take_a_failures_reason_from_its_exit_code(int code, string reason)
    {
        var result = Decide(false, Exited(code), Said(false, "phase install", $"exit {code}"));
        Assert.Equal(JobStatus.Failed, result.Status);
        Assert.Equal(reason, result.Reason);
        Assert.Equal(code, result.ExitCode);
        Assert.Contains($"exit code {code}", result.Message);
        // Unknown after a failed apply: null, not false.
        Assert.Null(result.RebootRequired);
        Assert.Null(result.ServicesNeedingRestart);
        Assert.Null(result.Plan);
    }

    [Fact]
    public void Should_let_output_refine_a_reason_only_within_what_the_exit_code_says()
    {
        string[] releaseInfo = ["E: Repository 'http://deb.debian.org/debian bookworm InRelease' changed its 'Suite' value from 'stable' to 'oldstable'", "N: This must be accepted explicitly before updates for this repository can be applied."];
        var facts = Said(false, "phase update") with { RecentOutput = releaseInfo };
        Assert.Equal("releaseInfoChanged", Decide(false, Exited(71), facts).Reason);
        // A package printing the same words during a failed apply does not make it a Release problem.
        Assert.Equal("upgradeFailed", Decide(false, Exited(73), facts with { DpkgStarted = true }).Reason);
        Assert.Equal("dpkgInterrupted", Decide(true, Exited(73), Said(true, "dpkg-interrupted zip")).Reason);
    }

    [Fact]
    public void Should_report_a_launch_that_sudo_or_the_launcher_refused()
    {
        Assert.Equal("sudoRefused", Decide(false, new RunEnd.NotStarted(1, "sudo: a password is required"), RunFacts.None).Reason);
        Assert.Equal("startFailed", Decide(false, new RunEnd.NotStarted(1, "something else"), RunFacts.None).Reason);
        Assert.Equal("startFailed", Decide(false, new RunEnd.NotStarted(75, "another run is active"), RunFacts.None).Reason);
        Assert.Equal("startFailed", Decide(false, new RunEnd.NotStarted(65, "id used"), RunFacts.None).Reason);
        Assert.Equal("badArguments", Decide(false, new RunEnd.NotStarted(64, "usage"), RunFacts.None).Reason);
        Assert.Equal("notRoot", Decide(false, new RunEnd.NotStarted(77, ""), RunFacts.None).Reason);
        var refused = Decide(false, new RunEnd.NotStarted(1, "sudo: a password is required"), RunFacts.None);
        Assert.Equal(JobStatus.Failed, refused.Status);
        Assert.Null(refused.Upgraded);
    }

    [Fact]
    public void Should_report_cancelled_and_timed_out_only_when_the_run_stopped_before_dpkg()
    {
        var stopped = Said(false, "phase download", "stopped TERM download", "exit 143");
        var cancelled = Decide(false, Exited(143), stopped, StopRequest.Cancel);
        Assert.Equal(JobStatus.Cancelled, cancelled.Status);
        Assert.Equal("cancelled", cancelled.Reason);
        Assert.Contains("during download", cancelled.Message);
        // Nothing changed: that is known.
        Assert.Empty(cancelled.Upgraded!);
        Assert.Null(cancelled.RebootRequired);

        var timedOut = Decide(true, Exited(143), Said(true, "phase simulate", "stopped TERM simulate"), StopRequest.Timeout);
        Assert.Equal(JobStatus.TimedOut, timedOut.Status);
        Assert.Equal("timedOut", timedOut.Reason);
        Assert.Null(timedOut.Plan);

        // Nobody here asked: a shutdown or an administrator stopped it.
        var outside = Decide(false, Exited(143), stopped);
        Assert.Equal(JobStatus.Failed, outside.Status);
        Assert.Equal("stopped", outside.Reason);
    }

    [Fact]
    public void Should_say_what_happened_when_a_cancel_came_after_dpkg_started_and_dpkg_then_failed()
    {
        var facts = Said(false, "phase install", "cancel-refused", "upgraded zip 3.0-13 3.0-14", "exit 73");
        var result = Decide(false, Exited(73), facts, StopRequest.Cancel);
        Assert.Equal(JobStatus.Failed, result.Status);
        Assert.Equal("upgradeFailed", result.Reason);
        Assert.StartsWith("A cancel was asked, but dpkg had already started", result.Message);
        Assert.DoesNotContain("before dpkg changed anything", result.Message);
        // What dpkg changed before it failed is known from the run's own report.
        Assert.Equal(["zip"], result.Upgraded!.Select(p => p.Package));

        var completed = Decide(false, Exited(0), Said(false, "phase install", "cancel-refused", "exit 0"), StopRequest.Cancel);
        Assert.Equal(JobStatus.Succeeded, completed.Status);
        Assert.StartsWith("A cancel was asked", completed.Message);

        var late = Decide(false, Exited(0), Said(false, "phase install", "exit 0"), StopRequest.Timeout);
        Assert.Equal(JobStatus.Succeeded, late.Status);
        Assert.Contains("Upgrade:Timeout", late.Message);
    }

    [Fact]
    public void Should_report_a_run_killed_by_a_signal_as_failed_and_say_if_dpkg_was_running()
    {
        var result = Decide(false, Killed("KILL"), Said(false, "phase install"));
        Assert.Equal(JobStatus.Failed, result.Status);
        Assert.Equal("scriptFailed", result.Reason);
        Assert.Equal(137, result.ExitCode);
        Assert.Contains("SIGKILL", result.Message);
        Assert.Contains("dpkg --audit", result.Message);
        Assert.Null(result.Upgraded);
    }

    [Fact]
    public void Should_report_what_an_apply_removed_as_it_reports_what_it_upgraded()
    {
        var facts = Said(false, "phase install", "upgraded raspi-firmware 1 2", "removed libold1 1.2-3", "removed bad-line", "exit 0");
        var result = Decide(false, Exited(0), facts);
        Assert.Equal([new RemovedPackage("libold1", "1.2-3")], result.Removed);
        Assert.Contains("1 package removed", result.Message);

        // A failure the run reported on: known; a lost run: unknown; a dry run: none.
        Assert.Equal([new RemovedPackage("libold1", "1.2-3")], Decide(false, Exited(73), facts).Removed);
        Assert.Null(Decide(false, new RunEnd.Lost(RunLostReason.RunnerLost, null), facts).Removed);
        Assert.Null(Decide(true, Exited(0), Said(true, "phase simulate", "exit 0")).Removed);
    }

    [Fact]
    public void Should_give_only_reasons_the_API_document_lists()
    {
        var results = new List<JobResult>();
        foreach (var dryRun in new[] { true, false })
        {
            for (var code = 0; code < 256; code++)
            {
                foreach (var stop in Enum.GetValues<StopRequest>())
                {
                    results.Add(Decide(dryRun, Exited(code), Said(dryRun, "phase update", $"exit {code}"), stop));
                    results.Add(Decide(dryRun, Exited(code), Said(dryRun, "phase update", "stopped TERM update"), stop));
                    results.Add(Decide(dryRun, Exited(code), Said(dryRun, "dpkg-interrupted zip", "phase install"), stop));
                }

                results.Add(Decide(dryRun, new RunEnd.NotStarted(code, "sudo: a password is required"), RunFacts.None));
                results.Add(Decide(dryRun, new RunEnd.NotStarted(code, "sudo: a password is required"), RunFacts.None, usedSudo: false));
            }

            results.Add(Decide(dryRun, Killed("KILL"), RunFacts.None));
            results.AddRange(Enum.GetValues<RunLostReason>().Select(reason => Decide(dryRun, new RunEnd.Lost(reason, null), RunFacts.None)));
        }

        var reasons = results.Select(r => r.Reason).OfType<string>().ToHashSet();
        Assert.Subset(JobReasons.All.ToHashSet(), reasons);
        Assert.Contains("rebootDuringRun", reasons);
        Assert.Contains("runnerLost", reasons);
    }

    [Fact]
    public void Should_report_a_dry_runs_kept_back_and_autoremovable_packages_only_with_its_plan()
    {
        var facts = Said(true, "phase simulate", "plan Inst zip [1] (2 Debian:12 [amd64])", "kept-back linux-image-amd64 raspi-firmware", "autoremovable libold1", "autoremovable libold1 libold2", "exit 0");
        var result = Decide(true, Exited(0), facts);
        Assert.Equal(["linux-image-amd64", "raspi-firmware"], result.KeptBack);
        Assert.Equal(["libold1", "libold2"], result.Autoremovable);

        // Unknown with the plan: a failed dry run, and an apply.
        Assert.Null(Decide(true, Exited(71), facts).KeptBack);
        Assert.Null(Decide(false, Exited(0), Said(false, "kept-back zip", "exit 0")).Autoremovable);
    }

    [Fact]
    public void Should_report_lost_runs_as_interrupted_with_a_reason_and_nothing_known()
    {
        var reboot = Decide(false, new RunEnd.Lost(RunLostReason.RebootDuringRun, null), Said(false, "phase install", "upgraded zip 1 2"));
        Assert.Equal(JobStatus.Interrupted, reboot.Status);
        Assert.Equal("rebootDuringRun", reboot.Reason);
        Assert.Contains("dpkg --configure -a", reboot.Message);
        Assert.Null(reboot.ExitCode);
        Assert.Null(reboot.Upgraded);
        Assert.Null(reboot.RebootRequired);

        var lost = Decide(true, new RunEnd.Lost(RunLostReason.RunnerLost, null), Said(true, "phase simulate", "plan Inst zip [1] (2 Debian:12 [amd64])"));
        Assert.Equal(JobStatus.Interrupted, lost.Status);
        Assert.Equal("runnerLost", lost.Reason);
        Assert.Null(lost.Plan);
    }

    [Fact]
    public void Should_neutralise_control_characters_in_the_message_it_quotes()
    {
        var launch = Decide(false, new RunEnd.NotStarted(99, "helper said \u001b]52;c;Y3VybA==\u0007 and left"), RunFacts.None);
        Assert.Equal("startFailed", launch.Reason);
        Assert.Contains("helper said \u241b]52;c;Y3VybA==\u2407 and left", launch.Message);

        var stopped = Decide(true, Exited(143), Said(true, "phase sim\u001b[2Julate", "stopped TERM"));
        Assert.Contains("during sim\u241b[2Julate", stopped.Message);
        Assert.DoesNotContain(stopped.Message!, c => char.IsControl(c));
    }
}
