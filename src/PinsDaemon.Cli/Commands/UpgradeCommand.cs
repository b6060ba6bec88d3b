using System.CommandLine;
using PinsDaemon.Cli.Api;
using PinsDaemon.Cli.Hosts;
using PinsDaemon.Cli.Output;
using PinsDaemon.Contracts;
using Spectre.Console;

namespace PinsDaemon.Cli.Commands;

/// <summary>
/// <c>pins upgrade [--dry-run] [--mode upgrade|full-upgrade] [--autoremove] [--follow] [--yes] [--host NAME]</c>. An upgrade changes the
/// system, so unless <c>--yes</c> pins first runs a dry run, shows its plan and asks; with no
/// terminal to ask on it refuses (exit 64) rather than wait for an answer that cannot come.
/// </summary>
internal static class UpgradeCommand
{
    public static Command Build()
    {
        var dryRun = new Option<bool>("--dry-run") { Description = "Only simulate: show what an upgrade would change, change nothing" };
        var follow = new Option<bool>("--follow") { Description = "Stream the log to stdout until the job ends, and exit with its outcome (reconnects if the connection drops)" };
        var yes = new Option<bool>("--yes", "-y") { Description = "Upgrade without the dry run and the question first (for scripts)" };
        var mode = new Option<string>("--mode")
        {
            Description = "upgrade (apt-get upgrade), or full-upgrade (apt-get full-upgrade: may also install and remove packages to upgrade)",
            HelpName = string.Join('|', UpgradeModes.All),
            DefaultValueFactory = _ => UpgradeModes.Upgrade,
        };
        mode.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is not { } value || !UpgradeModes.All.Contains(value))
            {
                result.AddError($"--mode is {string.Join(" or ", UpgradeModes.All)}.");
            }
        });
        var autoremove = new Option<bool>("--autoremove") { Description = "Also remove packages no longer needed after a successful upgrade (apt-get autoremove; a dry run shows them)" };
        var host = CommonOptions.Host();
        var exitReboot = CommonOptions.ExitReboot();
        var command = new Command("upgrade", "Upgrade the host's packages (apt-get update and upgrade). Asks first, showing the plan, unless --yes")
        {
            dryRun, mode, autoremove, follow, yes, host, exitReboot,
        };
        Invocation.Bind(command, (run, ct) => RunAsync(
            run, new UpgradeRequest(run.Value(dryRun)) { Mode = run.Value(mode)!, Autoremove = run.Value(autoremove) }, run.Value(follow), run.Value(yes), run.Value(host), run.Value(exitReboot), ct));
        return command;
    }

    private static async Task<int> RunAsync(Invocation run, UpgradeRequest request, bool follow, bool yes, string? hostName, bool exitReboot, CancellationToken ct)
    {
        var dryRun = request.DryRun;
        var ask = !dryRun && !yes;
        if (ask && !run.Terminal.CanAsk)
        {
            throw CliException.Usage(
                "Not upgrading: an upgrade is confirmed first, with its plan shown, and there is no terminal to ask on. " +
                "See the plan with 'pins upgrade --dry-run --follow', then upgrade with 'pins upgrade --yes'.");
        }

        var target = HostSelection.Resolve(hostName);
        using var client = new DaemonClient(target);
        if (ask)
        {
            run.Status.Info($"Checking what an upgrade of {target.Label} would change (a dry run first)…");
            var (check, _) = await StartAsync(run, client, request with { DryRun = true }, ct);
            var (checkCode, plan) = await JobOutput.FollowAsync(run, client, check, 0, printer: null, exitReboot: false, ct);
            if (checkCode != ExitCodes.Succeeded)
            {
                run.Status.Info("Nothing was upgraded.");
                return checkCode;
            }

            if (plan.Plan is not { Count: > 0 } changes)
            {
                return ExitCodes.Succeeded;
            }

            if (!run.Terminal.Error.Confirm($"Upgrade {target.Label}: {JobViews.Count(changes.Count)} as above?", defaultValue: false))
            {
                run.Status.Info("Nothing was upgraded.");
                return ExitCodes.Stopped;
            }
        }

        var (job, accepted) = await StartAsync(run, client, request, ct);
        if (!follow)
        {
            return JobOutput.Started(run, job.ToString(), accepted.Json, $"pins logs {job} --follow{HostArgument(target)}");
        }

        using var printer = new LogPrinter(run.Json, run.Status);
        var (code, _) = await JobOutput.FollowAsync(run, client, job, 0, printer, exitReboot, ct);
        return code;
    }

    private static async Task<(JobId Id, Answer<JobAccepted> Accepted)> StartAsync(Invocation run, DaemonClient client, UpgradeRequest request, CancellationToken ct)
    {
        Answer<JobAccepted> accepted;
        try
        {
            accepted = await client.StartAsync(request, ct);
        }
        catch (CliException ex) when (ex.JobId is { } running)
        {
            throw new CliException(ex.ExitCode, $"{ex.Message} Watch it with: pins logs {running} --follow{HostArgument(client.Target)}");
        }

        if (!JobId.TryParse(accepted.Value.JobId, out var id))
        {
            throw new CliException(ExitCodes.Failed, $"{client.Target.Label} answered with a job id pins cannot read.");
        }

        var options = (request.Mode == UpgradeModes.Upgrade ? string.Empty : $", {request.Mode}") + (request.Autoremove ? ", autoremove" : string.Empty);
        run.Status.Info($"Started {JobViews.Mode(request.DryRun)} {id}{(options.Length > 0 ? $" ({options[2..]})" : string.Empty)} on {client.Target.Label}.");
        return (id, accepted);
    }

    private static string HostArgument(HostTarget target) => target.Name is { } name ? $" --host {name}" : string.Empty;
}
