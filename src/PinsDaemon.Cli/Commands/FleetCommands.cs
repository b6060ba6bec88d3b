using System.CommandLine;
using System.CommandLine.Parsing;
using PinsDaemon.Cli.Api;
using PinsDaemon.Cli.Hosts;
using PinsDaemon.Cli.Output;
using PinsDaemon.Contracts;
using Spectre.Console;

namespace PinsDaemon.Cli.Commands;

/// <summary>
/// <c>pins fleet hosts</c>, <c>pins fleet rollouts</c>, and <c>pins fleet rollout</c>: start one
/// (<c>--follow</c> prints the merged log), <c>show</c>, <c>pause</c>, <c>resume</c>, <c>cancel</c>.
/// All through one node of the fleet (<c>--host</c>); starting and steering need a controller.
/// </summary>
internal static class FleetCommands
{
    public static Command Build()
    {
        var fleet = new Command("fleet", "Rolling upgrades across the hosts of a fleet (daemons with Fleet:Enabled=true), through one of its nodes; starting and steering rollouts needs a controller node");
        fleet.Subcommands.Add(Hosts());
        fleet.Subcommands.Add(Rollouts());
        fleet.Subcommands.Add(Rollout());
        return fleet;
    }

    private static Command Hosts()
    {
        var host = CommonOptions.Host();
        var command = new Command("hosts", "List the fleet's members: status, reachability, pending updates, reboot required, last successful upgrade, running job") { host };
        Invocation.Bind(command, async (run, ct) =>
        {
            using var client = new DaemonClient(HostSelection.Resolve(run.Value(host)));
            var hosts = await client.ListFleetHostsAsync(ct);
            if (run.Json)
            {
                JobOutput.WriteJson(hosts.Json);
            }
            else
            {
                FleetViews.WriteHosts(hosts.Value, run.Terminal);
            }

            return ExitCodes.Succeeded;
        });
        return command;
    }

    private static Command Rollouts()
    {
        var host = CommonOptions.Host();
        var command = new Command("rollouts", "List the fleet's rollouts, newest first (the fleet keeps 50)") { host };
        Invocation.Bind(command, async (run, ct) =>
        {
            using var client = new DaemonClient(HostSelection.Resolve(run.Value(host)));
            var rollouts = await client.ListRolloutsAsync(ct);
            if (run.Json)
            {
                JobOutput.WriteJson(rollouts.Json);
            }
            else
            {
                FleetViews.WriteRollouts(rollouts.Value, run.Terminal);
            }

            return ExitCodes.Succeeded;
        });
        return command;
    }

    /// <summary><c>pins fleet rollout</c>: starts one; its subcommands read and steer one.</summary>
    private static Command Rollout()
    {
        var dryRun = new Option<bool>("--dry-run") { Description = "Only simulate on each host: show what an upgrade would change, change nothing" };
        var hosts = new Option<string[]>("--hosts")
        {
            Description = "The hosts, in the order they go: node names separated by commas (or the option repeated)",
            HelpName = "NAME,...",
        };
        var all = new Option<bool>("--all") { Description = "Every host of the fleet, in name order" };
        var fullUpgrade = new Option<bool>("--full-upgrade") { Description = "Each host runs apt-get full-upgrade (may install and remove packages to upgrade), not upgrade" };
        var autoremove = new Option<bool>("--autoremove") { Description = "Each host also removes packages no longer needed after a successful upgrade (a dry run shows them)" };
        var canary = Count("--canary", 0, 0, "How many hosts go first, alone; the rest start only if they succeed");
        var batchSize = Count("--batch-size", 1, 1, "How many hosts upgrade at once after the canaries");
        var maxFailures = Count("--max-failures", 0, 0, "Failed or unreachable hosts tolerated; one more stops the rollout and the hosts not started are skipped");
        var reboot = new Option<string>("--reboot")
        {
            Description = "never, or if-required: reboot a host whose upgrade asks for it (if the host allows it) and wait until it is back",
            HelpName = "never|if-required",
            DefaultValueFactory = _ => "never",
        };
        reboot.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is not ("never" or "if-required"))
            {
                result.AddError("--reboot is never or if-required.");
            }
        });
        var follow = new Option<bool>("--follow", "-f") { Description = "Print every host's log, merged, each line with its host, until the rollout ends, and exit with its outcome (reconnects if the connection drops)" };
        var yes = new Option<bool>("--yes", "-y") { Description = "Upgrade without being asked first (for scripts)" };
        var host = CommonOptions.Host();
        var command = new Command("rollout", "Start a rollout: the hosts upgrade a batch at a time (canaries first); failures beyond --max-failures stop it. Asks first unless --dry-run or --yes")
        {
            dryRun, fullUpgrade, autoremove, hosts, all, canary, batchSize, maxFailures, reboot, follow, yes, host,
        };
        command.Validators.Add(result =>
        {
            var named = result.GetValue(hosts) ?? [];
            if (named.Length > 0 == result.GetValue(all))
            {
                result.AddError("Say which hosts: --hosts NAME,... (in the order they go) or --all.");
            }

            foreach (var name in Names(named).Where(name => !FleetNames.IsValid(name)))
            {
                result.AddError($"'{ControlCharacters.Neutralize(name)}' is not a node name: {FleetNames.Rule}.");
            }

            foreach (var twice in Names(named).GroupBy(name => name, StringComparer.Ordinal).Where(group => group.Count() > 1))
            {
                result.AddError($"--hosts names {ControlCharacters.Neutralize(twice.Key)} twice: a host runs once per rollout.");
            }
        });
        Invocation.Bind(command, (run, ct) =>
        {
            var named = Names(run.Value(hosts) ?? []);
            var request = new RolloutRequest(
                run.Value(dryRun),
                named.Count > 0 ? RolloutHosts.Named(named) : RolloutHosts.All,
                run.Value(canary),
                run.Value(batchSize),
                run.Value(maxFailures),
                run.Value(reboot) == "if-required" ? RebootPolicy.IfRequired : RebootPolicy.Never)
            {
                Mode = run.Value(fullUpgrade) ? UpgradeModes.FullUpgrade : UpgradeModes.Upgrade,
                Autoremove = run.Value(autoremove),
            };
            return StartAsync(run, request, run.Value(follow), run.Value(yes), run.Value(host), ct);
        });
        command.Subcommands.Add(Show());
        foreach (var steer in Enum.GetValues<RolloutCommand>())
        {
            command.Subcommands.Add(Steer(steer));
        }

        return command;
    }

    private static async Task<int> StartAsync(Invocation run, RolloutRequest request, bool follow, bool yes, string? hostName, CancellationToken ct)
    {
        var what = $"{(request.Hosts.IsAll ? "every host of the fleet" : string.Join(", ", request.Hosts.Names))} ({request.Mode}{(request.Autoremove ? ", autoremove" : string.Empty)}): {FleetViews.Order(request.Canary, request.BatchSize)}; " +
                   $"{(request.MaxFailures == 0 ? "stop at the first failure" : $"tolerate {request.MaxFailures} failure{(request.MaxFailures == 1 ? string.Empty : "s")}")}; reboot {(request.Reboot == RebootPolicy.IfRequired ? "if required" : "never")}";
        var ask = !request.DryRun && !yes;
        if (ask && !run.Terminal.CanAsk)
        {
            throw CliException.Usage(
                "Not upgrading the fleet: a rollout that changes hosts is confirmed first, and there is no terminal to ask on. " +
                "See what it would change with 'pins fleet rollout --dry-run ... --follow', then start it with --yes.");
        }

        var target = HostSelection.Resolve(hostName);
        using var client = new DaemonClient(target);
        // A prompt is Spectre markup: the label may be a URL with brackets (an IPv6 address).
        if (ask && !run.Terminal.Error.Confirm(Markup.Escape($"Upgrade {what}, through {target.Label}?"), defaultValue: false))
        {
            run.Status.Info("Nothing was started.");
            return ExitCodes.Stopped;
        }

        Answer<RolloutAccepted> accepted;
        try
        {
            accepted = await client.StartRolloutAsync(request, ct);
        }
        catch (CliException ex) when (ex.RolloutId is { } running)
        {
            throw new CliException(ex.ExitCode, $"{ex.Message} Watch it with: pins fleet rollout show {running} --follow{HostArgument(target)}");
        }

        if (!Guid.TryParse(accepted.Value.RolloutId, out var parsed))
        {
            throw new CliException(ExitCodes.Failed, $"{target.Label} answered with a rollout id pins cannot read.");
        }

        var id = parsed.ToString("D");
        run.Status.Info($"Started {(request.DryRun ? "dry-run " : string.Empty)}rollout {id} through {target.Label}, {what}.");
        if (!follow)
        {
            return JobOutput.Started(run, id, accepted.Json, $"pins fleet rollout show {id} --follow{HostArgument(target)}");
        }

        return await FollowAsync(run, client, id, new Dictionary<string, long>(), ct);
    }

    private static Command Show()
    {
        var id = RolloutIdArgument();
        var follow = new Option<bool>("--follow", "-f") { Description = "Print every host's log, merged, until the rollout ends (across dropped connections and daemon restarts), then exit with its outcome" };
        var after = new Option<string?>("--after")
        {
            Description = "With --follow: only each host's lines after these (resume where an earlier --follow stopped)",
            HelpName = "HOST:N,...",
        };
        after.Validators.Add(result =>
        {
            if (!FleetLogPositions.TryParse([result.GetValueOrDefault<string?>()], out _))
            {
                result.AddError($"--after takes HOST:N pairs separated by commas (pi-1:42,pi-2:17), as pins prints them when it stops following; a host is {FleetNames.Rule}.");
            }
        });
        var host = CommonOptions.Host();
        var command = new Command("show", "Show a rollout: its status and each host's state, job and outcome. Exits with its outcome (0 while it runs)")
        {
            id, follow, after, host,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(after) is not null && !result.GetValue(follow))
            {
                result.AddError("--after goes with --follow.");
            }
        });
        Invocation.Bind(command, async (run, ct) =>
        {
            using var client = new DaemonClient(HostSelection.Resolve(run.Value(host)));
            if (run.Value(follow))
            {
                FleetLogPositions.TryParse([run.Value(after)], out var positions);
                return await FollowAsync(run, client, run.Value(id), positions, ct);
            }

            var rollout = await client.GetRolloutAsync(run.Value(id), ct);
            if (run.Json)
            {
                JobOutput.WriteJson(rollout.Json);
            }
            else
            {
                FleetViews.WriteRollout(rollout.Value, run.Terminal);
            }

            return ExitCodes.ForRollout(rollout.Value);
        });
        return command;
    }

    private static Command Steer(RolloutCommand steer)
    {
        var id = RolloutIdArgument();
        var host = CommonOptions.Host();
        var (name, description) = steer switch
        {
            RolloutCommand.Pause => ("pause", "Pause a rollout: no new host starts until it is resumed; hosts already running finish"),
            RolloutCommand.Resume => ("resume", "Resume a paused rollout"),
            _ => ("cancel", "Cancel a rollout: no new host starts, running jobs are asked to stop (refused once dpkg runs), the rest are skipped"),
        };
        var command = new Command(name, description) { id, host };
        Invocation.Bind(command, async (run, ct) =>
        {
            using var client = new DaemonClient(HostSelection.Resolve(run.Value(host)));
            var rollout = await client.SteerRolloutAsync(run.Value(id), steer, ct);
            if (run.Json)
            {
                JobOutput.WriteJson(rollout.Json);
            }

            run.Status.Info(steer switch
            {
                RolloutCommand.Pause => $"Paused rollout {rollout.Value.RolloutId}: no new host starts; hosts already running finish. Resume it with: pins fleet rollout resume {rollout.Value.RolloutId}",
                RolloutCommand.Resume => $"Resumed rollout {rollout.Value.RolloutId}.",
                _ => $"Cancelling rollout {rollout.Value.RolloutId}: no new host starts; running jobs stop before dpkg changes anything, or finish if it already does.",
            });
            return ExitCodes.Succeeded;
        });
        return command;
    }

    /// <summary>
    /// Follows a rollout's merged log from <paramref name="after"/> to its end, lines on stdout and
    /// what happens to each host on stderr; then reports how it ended, and exits with that.
    /// </summary>
    private static async Task<int> FollowAsync(Invocation run, DaemonClient client, string id, IReadOnlyDictionary<string, long> after, CancellationToken ct)
    {
        var rollout = (await client.GetRolloutAsync(id, ct)).Value;
        using var printer = new FleetLogPrinter(run.Json, rollout.Hosts.Select(host => host.Host), run.Status);
        var follower = new RolloutFollower(client, id, after, run.Status, printer.Print);
        run.Status.BeginJob($"rollout {id}", rollout.CreatedAt);
        FleetRolloutEndFrame end;
        try
        {
            end = await follower.FollowAsync(ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            run.Status.Info($"Stopped following. {follower.ResumeHint()}");
            return ExitCodes.Interrupted;
        }
        finally
        {
            // Before any message: the progress line is cleared, not left above it.
            run.Status.EndJob();
        }

        // The end frame has the status; the rollout has the rest. A daemon gone again by now leaves the end frame's word.
        try
        {
            rollout = (await client.GetRolloutAsync(id, ct)).Value;
        }
        catch (CliException ex) when (ex.Retryable)
        {
            rollout = rollout with { Status = end.Status };
        }

        FleetViews.WriteOutcome(rollout, run.Terminal);
        return ExitCodes.ForRollout(rollout);
    }

    private static Option<int> Count(string name, int defaultValue, int min, string description)
    {
        var option = new Option<int>(name)
        {
            Description = description,
            HelpName = "N",
            DefaultValueFactory = _ => defaultValue,
        };
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<int>();
            if (value < min || value > RolloutRequest.MaxHosts)
            {
                result.AddError($"{name} is a whole number from {min} to {RolloutRequest.MaxHosts}.");
            }
        });
        return option;
    }

    private static Argument<string> RolloutIdArgument() => new("ID")
    {
        Description = "The rollout's id, as 'pins fleet rollout' and 'pins fleet rollouts' print it",
        CustomParser = result =>
        {
            var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : string.Empty;
            if (Guid.TryParseExact(text, "D", out var id))
            {
                return id.ToString("D");
            }

            result.AddError($"'{ControlCharacters.Neutralize(text)}' is not a rollout id: a rollout id is a GUID such as 3f2504e0-4f89-41d3-9a0c-0305e82c3301.");
            return string.Empty;
        },
    };

    /// <summary>--hosts a,b --hosts c: the names, in order.</summary>
    private static List<string> Names(IEnumerable<string> values) =>
        values.SelectMany(value => value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();

    private static string HostArgument(HostTarget target) => target.Name is { } name ? $" --host {name}" : string.Empty;
}
