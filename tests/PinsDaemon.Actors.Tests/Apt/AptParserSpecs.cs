using PinsDaemon.Actors.Apt;
using PinsDaemon.Actors.Jobs;
using PinsDaemon.Actors.Processes;
using PinsDaemon.Contracts;
using Xunit;

namespace PinsDaemon.Actors.Tests.Apt;

/// <summary>The parsers against real apt 2.6 output captured on Debian 12 (tests/fixtures/apt).</summary>
public sealed class AptParserSpecs
{
    private static string[] Fixture(string name) => File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "fixtures", "apt", name));

    private static JobReport Feed(bool dryRun, string fixture)
    {
        var report = new JobReport(dryRun, statusOnStdout: true);
        foreach (var line in Fixture(fixture))
        {
            report.Observe(new OutputLine(LogStream.Stdout, line), out _);
        }

        return report;
    }

    [Fact]
    public void Should_read_every_upgrade_of_a_real_dry_run_into_the_plan()
    {
        var lines = Fixture("dry-run.txt");
        var report = Feed(dryRun: true, "dry-run.txt");

        var plan = report.Facts.Plan;
        Assert.Equal(lines.Count(l => l.StartsWith("Inst ", StringComparison.Ordinal)), plan.Count(p => p.Action is "upgrade" or "install"));
        var bash = plan.Single(p => p.Package == "bash");
        Assert.Equal(new PlanEntry("bash", "5.2.15-2+b8", "5.2.15-2+b13", "Debian:12.15/oldstable", "amd64", "upgrade"), bash);
        // Several origins, and apt's trailing "[]".
        var gcrypt = plan.Single(p => p.Package == "libgcrypt20-dev");
        Assert.Equal("Debian:12.15/oldstable, Debian-Security:12/oldstable-security", gcrypt.Origin);
        Assert.Equal("1.10.1-3+deb12u1", gcrypt.To);
        // Conf lines repeat the Inst lines: no package twice.
        Assert.Equal(plan.Count, plan.Select(p => p.Package).Distinct().Count());
    }

    [Fact]
    public void Should_mark_new_packages_and_removals()
    {
        var install = Feed(dryRun: true, "dry-run-install.txt").Facts.Plan;
        var sl = install.Single(p => p.Package == "sl");
        Assert.Equal("install", sl.Action);
        Assert.Null(sl.From);
        Assert.Equal("5.02-1+b1", sl.To);

        var remove = Feed(dryRun: true, "dry-run-remove.txt").Facts.Plan;
        Assert.Contains(new PlanEntry("jq", "1.6-2.1+deb12u1", null, null, null, "remove"), remove);
        Assert.Contains(Feed(dryRun: true, "dry-run-purge.txt").Facts.Plan, p => p.Action == "purge");
    }

    [Fact]
    public void Should_say_a_dry_run_with_nothing_to_do_has_an_empty_plan()
    {
        var report = new JobReport(dryRun: true, statusOnStdout: true);
        report.Observe(new OutputLine(LogStream.Stdout, "pinsdaemon: channel 0123456789abcdef0123456789abcdef"), out _);
        foreach (var line in Fixture("dry-run-up-to-date.txt"))
        {
            report.Observe(new OutputLine(LogStream.Stdout, line), out _);
        }

        Assert.Empty(report.Facts.Plan);
        Assert.True(report.Facts.StatusKnown);
    }

    [Fact]
    public void Should_read_what_a_real_apply_upgraded()
    {
        var report = Feed(dryRun: false, "apply-upgrade.txt");
        Assert.Equal([new UpgradedPackage("zip", "3.0-13", "3.0-13+deb12u1")], report.Facts.Upgraded);

        var installed = Feed(dryRun: false, "apply-install-no-pty.txt").Facts.Upgraded;
        Assert.Contains(installed, p => p.Package == "cowsay" && p.From is null);
    }

    [Fact]
    public void Should_turn_real_status_fd_lines_into_progress()
    {
        var download = AptStatusParser.Parse("dlstatus:1:42.1234:Retrieving file 1 of 3", currentPhase: "download")!;
        Assert.Equal(new JobProgress("download", 42.1, null, "Retrieving file 1 of 3"), download);
        Assert.Equal("update", AptStatusParser.Parse("dlstatus:1:0.0000:Retrieving file 1 of 3", currentPhase: "update")!.Phase);

        var all = Fixture("apply-upgrade.status.txt").Select(l => AptStatusParser.Parse(l, "install")).ToList();
        Assert.All(all, Assert.NotNull);
        var configuring = all.Last(p => p!.Package == "zip")!;
        Assert.Equal("install", configuring.Phase);
        Assert.Equal(80, configuring.Percent);
        Assert.Equal("Installed zip (amd64)", configuring.Message);

        // Split on the first three colons only: the message keeps its own.
        Assert.Equal("a: b: c", AptStatusParser.Parse("pmstatus:zip:10:a: b: c", "install")!.Message);
        Assert.StartsWith("error:", AptStatusParser.Parse(Fixture("apply-failed-postinst.status.txt").First(l => l.StartsWith("pmerror", StringComparison.Ordinal)), "install")!.Message);
        Assert.Null(AptStatusParser.Parse("garbage", "install"));
    }

    [Theory]
    [InlineData("lock-held.txt", 70, "lockHeld")]
    [InlineData("lock-held-update.txt", 70, "lockHeld")]
    [InlineData("update-failed-error-mode-any.txt", 71, "updateFailed")]
    [InlineData("dpkg-interrupted-journal-upgrade.txt", 73, "dpkgInterrupted")]
    [InlineData("apply-failed-postinst.txt", 73, "upgradeFailed")]
    public void Should_name_each_failure_from_real_output(string fixture, int exitCode, string reason)
    {
        var failure = FailureClassifier.Classify(exitCode, dpkgInterrupted: false, Fixture(fixture));
        Assert.Equal(reason, failure.Code);
        Assert.False(string.IsNullOrWhiteSpace(failure.Message));
    }

    [Fact]
    public void Should_recognise_sudo_refusing_and_a_release_info_change()
    {
        Assert.Equal("sudoRefused", FailureClassifier.ClassifyLaunch(1, usedSudo: true, "sudo: a password is required").Code);
        Assert.Equal("releaseInfoChanged", FailureClassifier.Classify(71, dpkgInterrupted: false,
        [
            "E: Repository 'http://deb.mirror.example/debian bookworm InRelease' changed its 'Codename' value from 'bookworm' to 'trixie'",
            "N: This must be accepted explicitly before updates for this repository can be applied. See apt-secure(8) manpage for details.",
        ]).Code);
    }

    [Fact]
    public void Should_only_trust_status_lines_carrying_the_nonce_announced_first()
    {
        var report = new JobReport(dryRun: false, statusOnStdout: true);
        Assert.False(report.Observe(new OutputLine(LogStream.Stdout, "pinsdaemon: channel 0123456789abcdef0123456789abcdef"), out _));
        Assert.False(report.Observe(new OutputLine(LogStream.Stdout, "pinsdaemon-status 0123456789abcdef0123456789abcdef phase install"), out var moved));
        Assert.True(moved);
        Assert.False(report.IsCancellable);

        // A package printing a status line without the nonce is just a log line.
        Assert.True(report.Observe(new OutputLine(LogStream.Stdout, "pinsdaemon-status ffffffffffffffffffffffffffffffff phase update"), out _));
        Assert.True(report.Observe(new OutputLine(LogStream.Stdout, "pinsdaemon: channel ffffffffffffffffffffffffffffffff"), out _));
        Assert.True(report.Observe(new OutputLine(LogStream.Stderr, "pinsdaemon-status 0123456789abcdef0123456789abcdef phase update"), out _));
        Assert.Equal("install", report.Phase);
    }

    [Fact]
    public void Should_never_read_plan_or_changes_from_package_output_when_status_events_have_their_own_file()
    {
        var report = new JobReport(dryRun: true, statusOnStdout: false);
        Assert.True(report.Observe(new OutputLine(LogStream.Stdout, "pinsdaemon: channel 0123456789abcdef0123456789abcdef"), out _));
        Assert.True(report.Observe(new OutputLine(LogStream.Stdout, "pinsdaemon-status 0123456789abcdef0123456789abcdef phase install"), out _));
        Assert.True(report.Observe(new OutputLine(LogStream.Stdout, "Inst forged [1] (2 Debian:12 [amd64])"), out _));
        Assert.Empty(report.Facts.Plan);
        Assert.True(report.IsCancellable);

        report.ApplyEvent("plan Inst zip [3.0-13] (3.0-14 Debian:12 [amd64])");
        Assert.Equal(["zip"], report.Facts.Plan.Select(p => p.Package));
    }

    [Fact]
    public void Should_prefer_the_scripts_own_plan_events_to_its_stdout()
    {
        var report = new JobReport(dryRun: true, statusOnStdout: true);
        report.Observe(new OutputLine(LogStream.Stdout, "pinsdaemon: channel 0123456789abcdef0123456789abcdef"), out _);
        report.Observe(new OutputLine(LogStream.Stdout, "Inst zip [3.0-13] (3.0-14 Debian:12 [amd64])"), out _);
        report.Observe(new OutputLine(LogStream.Stdout, "pinsdaemon-status 0123456789abcdef0123456789abcdef plan Inst sl [5.01] (5.02 Debian:12 [amd64])"), out _);
        report.Observe(new OutputLine(LogStream.Stdout, "Inst jq [1.6] (1.7 Debian:12 [amd64])"), out _);
        Assert.Equal(["sl"], report.Facts.Plan.Select(p => p.Package));
    }

    [Fact]
    public void Should_serve_no_control_character_from_the_status_events()
    {
        var report = new JobReport(dryRun: false, statusOnStdout: false);
        report.ApplyEvent("phase install");
        report.ApplyEvent("apt pmstatus:zip\u001b]0;owned\u0007:50.0:Configuring \u001b[31mzip\u009b");
        report.ApplyEvent("upgraded zip\u001b[2J 3.0-13 3.0-14");
        report.ApplyEvent("reboot-required linux-image\u0007");
        report.ApplyEvent("restart-service ssh\rfake.service");

        var facts = report.Facts;
        string[] served =
        [
            report.Progress!.Package!, report.Progress.Message!, .. facts.Upgraded.Select(p => p.Package),
            .. facts.RebootRequiredPackages, .. facts.ServicesNeedingRestart,
        ];
        Assert.All(served, text => Assert.DoesNotContain(text, c => c != '\t' && char.IsControl(c)));
        Assert.Equal("Configuring \u241b[31mzip\ufffd", report.Progress.Message);
        Assert.Equal(["ssh\u240dfake.service"], facts.ServicesNeedingRestart);

        var dryRun = new JobReport(dryRun: true, statusOnStdout: false);
        dryRun.ApplyEvent("plan Inst z\u001bip [3.0-13] (3.0-14 Debian:12 [amd64])");
        Assert.Equal(["z\u241bip"], dryRun.Facts.Plan.Select(p => p.Package));
    }

    [Fact]
    public void Should_keep_a_dry_runs_simulation_cancellable()
    {
        var report = new JobReport(dryRun: true, statusOnStdout: false);
        report.ApplyEvent("phase simulate");
        Assert.True(report.IsCancellable);
        report.ApplyEvent("phase install");
        Assert.False(report.IsCancellable);
    }
}
