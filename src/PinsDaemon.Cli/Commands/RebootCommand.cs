using System.CommandLine;
using PinsDaemon.Cli.Api;
using PinsDaemon.Cli.Hosts;
using Spectre.Console;

namespace PinsDaemon.Cli.Commands;

/// <summary>
/// <c>pins reboot [--cancel] [--yes] [--host NAME]</c>: <c>POST /reboot</c> (the host reboots in one
/// minute; asked first unless <c>--yes</c>, and refused without a terminal to ask on, as an
/// upgrade is) or <c>DELETE /reboot</c>.
/// </summary>
internal static class RebootCommand
{
    public static Command Build()
    {
        var cancel = new Option<bool>("--cancel") { Description = "Cancel the scheduled reboot instead" };
        var yes = new Option<bool>("--yes", "-y") { Description = "Reboot without being asked first (for scripts)" };
        var host = CommonOptions.Host();
        var command = new Command("reboot", "Reboot the host in one minute (if its daemon allows it: Host:AllowReboot), or cancel that with --cancel")
        {
            cancel, yes, host,
        };
        Invocation.Bind(command, async (run, ct) =>
        {
            var target = HostSelection.Resolve(run.Value(host));
            var cancelling = run.Value(cancel);
            if (!cancelling && !run.Value(yes))
            {
                if (!run.Terminal.CanAsk)
                {
                    throw CliException.Usage("Not rebooting: a reboot is confirmed first, and there is no terminal to ask on. Reboot with 'pins reboot --yes'.");
                }

                if (!run.Terminal.Error.Confirm(Markup.Escape($"Reboot {target.Label} in one minute?"), defaultValue: false))
                {
                    run.Status.Info("Nothing was scheduled.");
                    return ExitCodes.Stopped;
                }
            }

            using var client = new DaemonClient(target);
            var answer = await client.RebootAsync(cancelling, ct);
            if (run.Json)
            {
                JobOutput.WriteJson(answer.Json);
            }

            run.Status.Info(answer.Value.RebootAt is { } at
                ? $"{target.Label} reboots at {at.ToUniversalTime():u}. Cancel with: pins reboot --cancel{(target.Name is { } name ? $" --host {name}" : string.Empty)}"
                : $"The reboot of {target.Label} is cancelled.");
            return ExitCodes.Succeeded;
        });
        return command;
    }
}
