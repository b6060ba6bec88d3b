using PinsDaemon.Actors.Apt;
using PinsDaemon.Actors.Runs;
using PinsDaemon.Contracts;

namespace PinsDaemon.Actors.Jobs;

/// <summary>Who asked a run to stop, if anyone: the daemon's own part in how a run ended.</summary>
public enum StopRequest
{
    None,
    Cancel,
    Timeout,
}

/// <summary>How a job ended, and what is known about its result (null where nothing is known).</summary>
public sealed record JobResult(
    JobStatus Status,
    int? ExitCode,
    string? Reason,
    string? Message,
    IReadOnlyList<PlanEntry>? Plan,
    IReadOnlyList<UpgradedPackage>? Upgraded,
    bool? RebootRequired,
    IReadOnlyList<string>? RebootRequiredPackages,
    IReadOnlyList<string>? ServicesNeedingRestart)
{
    /// <summary>A succeeded dry run's packages kept back; null when its plan is unknown, and for an apply.</summary>
    public IReadOnlyList<string>? KeptBack { get; init; }

    /// <summary>A succeeded dry run's packages no longer needed; null when its plan is unknown, and for an apply.</summary>
    public IReadOnlyList<string>? Autoremovable { get; init; }

    /// <summary>What an apply removed, known as <see cref="Upgraded"/> is; null for a dry run.</summary>
    public IReadOnlyList<RemovedPackage>? Removed { get; init; }
}

/// <summary>
/// The outcome of a job: a pure function of how the run ended (its exit record, or that it was
/// lost or never started) and what the run said in its status events. That a cancel or a time
/// limit asked the run to stop only names who asked; whether it stopped is the run's word.
/// Unknown is null, never false or empty.
/// </summary>
public static class JobOutcome
{
    public static JobResult Decide(bool dryRun, RunEnd end, RunFacts facts, StopRequest stop, TimeSpan timeout, bool usedSudo)
    {
        var result = DecideRaw(dryRun, end, facts, stop, timeout, usedSudo);
        // The message is served and may quote what the launcher or the run said (sudo's words,
        // a phase or signal name from the status file): no control characters in it either.
        return result.Message is null ? result : result with { Message = ControlCharacters.Neutralize(result.Message) };
    }

    private static JobResult DecideRaw(bool dryRun, RunEnd end, RunFacts facts, StopRequest stop, TimeSpan timeout, bool usedSudo)
    {
        switch (end)
        {
            case RunEnd.NotStarted notStarted:
            {
                var reason = FailureClassifier.ClassifyLaunch(notStarted.ExitCode, usedSudo, notStarted.Output);
                return Unknown(JobStatus.Failed, notStarted.ExitCode, reason.Code, $"{reason.Message} (exit code {notStarted.ExitCode})");
            }

            case RunEnd.Lost { Reason: RunLostReason.RebootDuringRun }:
                return Unknown(
                    JobStatus.Interrupted,
                    null,
                    "rebootDuringRun",
                    "The machine (or its container) restarted while this job ran, and the run left no exit record. " +
                    (dryRun
                        ? "A dry run changes nothing; start it again."
                        : "dpkg may have been cut off mid-way: the next apply finishes it first (dpkg --configure -a). 'sudo dpkg --audit' shows what is pending."));

            case RunEnd.Lost:
                return Unknown(
                    JobStatus.Interrupted,
                    null,
                    "runnerLost",
                    "The run is gone and left no exit record (it was killed, or never really started), so how it ended is unknown. " +
                    "Its log holds every line it wrote. Check the machine (for example 'sudo dpkg --audit') before upgrading again.");

            case RunEnd.Exited exited:
                return FromExit(dryRun, exited.Record, facts, stop, timeout);

            default:
                throw new ArgumentOutOfRangeException(nameof(end), end, "unknown run end");
        }
    }

    private static JobResult FromExit(bool dryRun, ExitRecord record, RunFacts facts, StopRequest stop, TimeSpan timeout)
    {
        var code = record.ShellCode;
        var late = stop switch
        {
            StopRequest.Cancel when facts.DpkgStarted => "A cancel was asked, but dpkg had already started, so the run went on. ",
            StopRequest.Timeout when facts.DpkgStarted => $"The run passed Upgrade:Timeout ({timeout}) while dpkg was running, so it was left to finish. ",
            _ => string.Empty,
        };

        if (code == 0)
        {
            return Succeeded(dryRun, facts, late);
        }

        // Stopped by a signal before dpkg: the script says so, or its exit says so.
        var signal = facts.StoppedBySignal ?? record.Signal ?? code switch
        {
            129 => "HUP",
            130 => "INT",
            143 => "TERM",
            _ => null,
        };
        if (signal is "TERM" or "INT" or "HUP" && !facts.DpkgStarted)
        {
            var during = facts.StatusKnown ? $" during {facts.Phase}" : string.Empty;
            return stop switch
            {
                StopRequest.Cancel => Stopped(dryRun, JobStatus.Cancelled, code, "cancelled", $"Cancelled on request{during}, before dpkg changed anything."),
                StopRequest.Timeout => Stopped(dryRun, JobStatus.TimedOut, code, "timedOut", $"Stopped after running longer than Upgrade:Timeout ({timeout}){during}, before dpkg changed anything."),
                _ => Stopped(dryRun, JobStatus.Failed, code, "stopped", $"The run was stopped by SIG{signal} from outside the daemon (a shutdown, or an administrator){during}, before dpkg changed anything."),
            };
        }

        if (code is null || record.Signal is not null)
        {
            var what = record.Signal is { } killedBy ? $"killed by SIG{killedBy}" : $"ended unexpectedly ({record})";
            var dpkg = facts.DpkgStarted ? " while dpkg was changing the system; check 'sudo dpkg --audit', the next apply repairs what is pending." : ".";
            return Failed(dryRun, facts, code, "scriptFailed", $"{late}The run was {what}{dpkg}");
        }

        var failure = FailureClassifier.Classify(code.Value, facts.DpkgInterrupted.Count > 0, facts.RecentOutput);
        return Failed(dryRun, facts, code, failure.Code, $"{late}{failure.Message} (exit code {code})");
    }

    private static JobResult Succeeded(bool dryRun, RunFacts facts, string late)
    {
        if (dryRun)
        {
            string? summary = !facts.StatusKnown && facts.Plan.Count == 0
                ? null
                : facts.Plan.Count == 0
                    ? "Nothing to upgrade: the system is up to date."
                    : $"A real upgrade would change {Plural(facts.Plan.Count(p => p.Action != "configure"), "package")} (see plan).";
            // A script that speaks no status channel says nothing of a plan: unknown, not empty.
            var plan = facts.StatusKnown || facts.Plan.Count > 0 ? facts.Plan : null;
            return new JobResult(JobStatus.Succeeded, 0, null, Join(late, summary), plan, null, null, null, null)
            {
                KeptBack = plan is null ? null : facts.KeptBack,
                Autoremovable = plan is null ? null : facts.Autoremovable,
            };
        }

        var upgraded = facts.Upgraded.Count == 0 ? "Nothing needed upgrading." : $"{Plural(facts.Upgraded.Count, "package")} upgraded or installed.";
        if (facts.Removed.Count > 0)
        {
            upgraded += $" {Plural(facts.Removed.Count, "package")} removed.";
        }

        bool? reboot = facts.StatusKnown ? facts.RebootRequired : null;
        var message = reboot is true ? $"{upgraded} A reboot is required." : upgraded;
        return new JobResult(
            JobStatus.Succeeded,
            0,
            null,
            Join(late, message),
            null,
            facts.Upgraded,
            reboot,
            reboot is true ? facts.RebootRequiredPackages : null,
            facts.StatusKnown ? facts.ServicesNeedingRestart : null)
        {
            Removed = facts.Removed,
        };
    }

    /// <summary>Stopped before dpkg: an apply changed nothing (known), a dry run has no plan (unknown).</summary>
    private static JobResult Stopped(bool dryRun, JobStatus status, int? code, string reason, string message) =>
        new(status, code, reason, message, null, dryRun ? null : [], null, null, null)
        {
            Removed = dryRun ? null : [],
        };

    /// <summary>A failure: what dpkg changed is known only from the run's own report of it.</summary>
    private static JobResult Failed(bool dryRun, RunFacts facts, int? code, string reason, string message)
    {
        var known = !dryRun && (facts.ChangesReported || !facts.DpkgStarted && facts.StatusKnown);
        return new(JobStatus.Failed, code, reason, message, null, known ? facts.Upgraded : null, null, null, null)
        {
            Removed = known ? facts.Removed : null,
        };
    }

    private static JobResult Unknown(JobStatus status, int? code, string reason, string message) =>
        new(status, code, reason, message, null, null, null, null, null);

    private static string Plural(int count, string noun) => $"{count} {noun}{(count == 1 ? string.Empty : "s")}";

    private static string? Join(string late, string? message) =>
        late.Length == 0 ? message : $"{late}{message}".TrimEnd();
}
