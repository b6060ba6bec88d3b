using System.Globalization;
using PinsDaemon.Contracts;
using Spectre.Console;

namespace PinsDaemon.Cli.Output;

/// <summary>
/// The fleet as a person reads it: Spectre tables on a terminal, tab-separated lines otherwise
/// (one record per line, "-" for what is unknown). As in <see cref="JobViews"/>, every string
/// from the daemon is neutralised and written as <see cref="Text"/>, never as markup.
/// </summary>
internal static class FleetViews
{
    /// <summary><c>pins fleet hosts</c>: every member, its reachability and what it says of itself.</summary>
    public static void WriteHosts(IReadOnlyList<FleetHostView> hosts, Terminal terminal)
    {
        var rows = hosts.Select(host => new[]
        {
            Safe(host.Name) ?? "?",
            Safe(host.Status)!,
            host.Reachable ? "yes" : "no",
            Safe(string.Join(",", host.Roles))!,
            host.Summary?.PendingUpdates?.ToString(CultureInfo.InvariantCulture) ?? "-",
            host.Summary?.RebootRequired is { } reboot ? YesNo(reboot) : "-",
            host.Summary?.LastSuccess is { } success ? (terminal.OutputIsTerminal ? Local(success) : Utc(success)) : "-",
            Safe(host.Summary?.RunningJobId) ?? "-",
        }).ToList();
        if (!terminal.OutputIsTerminal)
        {
            // name, status, reachable, roles, pending updates, reboot required, last success (UTC), running job.
            foreach (var row in rows)
            {
                Console.Out.WriteLine(string.Join('\t', row));
            }

            return;
        }

        if (rows.Count == 0)
        {
            terminal.Output.MarkupLine("[dim]No members.[/]");
            return;
        }

        var table = new Table().Border(TableBorder.Rounded);
        foreach (var header in new[] { "Host", "Status", "Reachable", "Roles", "Pending", "Reboot", "Last success", "Running job" })
        {
            table.AddColumn(header);
        }

        foreach (var (row, host) in rows.Zip(hosts))
        {
            var healthy = host is { Reachable: true, Status: "up" };
            table.AddRow(row.Select((cell, column) => new Text(cell, column is 1 or 2 ? new Style(healthy ? Color.Green : Color.Red) : Style.Plain)).ToArray());
        }

        terminal.Output.Write(table);
    }

    /// <summary><c>pins fleet rollouts</c>: newest first.</summary>
    public static void WriteRollouts(IReadOnlyList<RolloutView> rollouts, Terminal terminal)
    {
        if (!terminal.OutputIsTerminal)
        {
            // id, status, mode, hosts, failures, created (UTC), duration in seconds, reason.
            foreach (var rollout in rollouts)
            {
                var seconds = Duration(rollout) is { } duration ? ((long)duration.TotalSeconds).ToString(CultureInfo.InvariantCulture) : "-";
                Console.Out.WriteLine(string.Join('\t', rollout.RolloutId, rollout.Status.WireName(), JobViews.Mode(rollout.DryRun), rollout.Hosts.Count, rollout.Failures, Utc(rollout.CreatedAt), seconds, Safe(rollout.Reason) ?? "-"));
            }

            return;
        }

        if (rollouts.Count == 0)
        {
            terminal.Output.MarkupLine("[dim]No rollouts yet.[/]");
            return;
        }

        var table = new Table().Border(TableBorder.None);
        foreach (var header in new[] { "Rollout", "Status", "Mode", "Hosts", "Failures", "Created", "Took" })
        {
            table.AddColumn(new TableColumn(new Text(header, new Style(decoration: Decoration.Bold))).NoWrap().PadLeft(0).PadRight(2));
        }

        foreach (var rollout in rollouts)
        {
            table.AddRow(
                new Text(rollout.RolloutId),
                new Text(rollout.Status.WireName(), StatusStyle(rollout)),
                new Text(JobViews.Mode(rollout.DryRun)),
                new Text(rollout.Hosts.Count.ToString(CultureInfo.InvariantCulture)),
                new Text(rollout.Failures.ToString(CultureInfo.InvariantCulture)),
                new Text(rollout.CreatedAt.ToLocalTime().ToString("MM-dd HH:mm", CultureInfo.InvariantCulture)),
                new Text(Duration(rollout) is { } d ? Format(d) : "-"));
        }

        terminal.Output.Write(table);
    }

    /// <summary><c>pins fleet rollout show ID</c>: the rollout, then each host, on stdout.</summary>
    public static void WriteRollout(RolloutView rollout, Terminal terminal)
    {
        var fields = new List<(string Name, string Value)>
        {
            ("rollout", rollout.RolloutId),
            ("status", rollout.Status.WireName()),
            ("mode", JobViews.Mode(rollout.DryRun)),
            ("order", Order(rollout)),
            ("reboot", rollout.Reboot == RebootPolicy.IfRequired ? "if required (hosts that allow it)" : "never"),
            ("created", Local(rollout.CreatedAt)),
        };
        if (rollout.FinishedAt is { } finished)
        {
            fields.Add(("finished", Local(finished)));
        }

        if (Duration(rollout) is { } duration)
        {
            fields.Add(("duration", Format(duration)));
        }

        fields.Add(("failures", $"{rollout.Failures} (at most {rollout.MaxFailures} allowed)"));
        if (Safe(rollout.Reason) is { } reason)
        {
            fields.Add(("reason", reason));
        }

        if (!terminal.OutputIsTerminal)
        {
            foreach (var (name, value) in fields)
            {
                Console.Out.WriteLine($"{name}: {value}");
            }

            // Then one host per line: host, group, state, job id, reason, message.
            foreach (var host in rollout.Hosts)
            {
                Console.Out.WriteLine(string.Join('\t', Safe(host.Host), host.Group, State(host), host.JobId ?? "-", Safe(host.Reason) ?? "-", Safe(host.Message) ?? "-"));
            }

            return;
        }

        var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        foreach (var (name, value) in fields)
        {
            grid.AddRow(new Text(name, new Style(decoration: Decoration.Bold)), new Text(value, name == "status" ? StatusStyle(rollout) : Style.Plain));
        }

        terminal.Output.Write(grid);
        var table = new Table().Border(TableBorder.Rounded).AddColumn("Host").AddColumn("Group").AddColumn("State").AddColumn("Job").AddColumn("Outcome");
        foreach (var host in rollout.Hosts)
        {
            table.AddRow(
                new Text(Safe(host.Host)!),
                new Text(host.Group.ToString(CultureInfo.InvariantCulture)),
                new Text(State(host), StateStyle(host.State)),
                new Text(host.JobId ?? "-"),
                new Text(Outcome(host)));
        }

        terminal.Output.Write(table);
    }

    /// <summary>The end of a followed rollout, on stderr: its status and every host that did not succeed.</summary>
    public static void WriteOutcome(RolloutView rollout, Terminal terminal)
    {
        var counts = rollout.Hosts.GroupBy(host => host.State).OrderBy(group => group.Key).Select(group => $"{group.Count()} {group.Key.WireName()}");
        var reason = Safe(rollout.Reason) is { } code && code != rollout.Status.WireName() ? $" ({code})" : string.Empty;
        var lines = new List<string> { $"Rollout {rollout.RolloutId} {rollout.Status.WireName()}{reason}: {string.Join(", ", counts)}." };
        lines.AddRange(rollout.Hosts
            .Where(host => host.State != HostRolloutState.Succeeded || host.Reason is not null)
            .Select(host => $"  {Safe(host.Host)} {State(host)}{(Outcome(host) is { Length: > 0 } outcome ? $": {outcome}" : string.Empty)}"));
        foreach (var line in lines)
        {
            if (terminal.ErrorIsTerminal)
            {
                terminal.Error.Write(new Text(line + "\n", line == lines[0] ? StatusStyle(rollout) : Style.Plain));
            }
            else
            {
                Console.Error.WriteLine($"pins: {line}");
            }
        }
    }

    /// <summary>"canary 1, then batches of 2", as the rollout was asked for.</summary>
    public static string Order(RolloutView rollout) => Order(rollout.Canary, rollout.BatchSize);

    public static string Order(int canary, int batchSize) =>
        $"{(canary > 0 ? $"{canary} canar{(canary == 1 ? "y" : "ies")} alone, then " : string.Empty)}batches of {batchSize}";

    private static string State(RolloutHostView host) => host.Step is { } step ? $"{host.State.WireName()} ({Safe(step)})" : host.State.WireName();

    private static string Outcome(RolloutHostView host) =>
        string.Join(": ", new[] { Safe(host.Reason), Safe(host.Message) }.Where(text => text is not null));

    private static string YesNo(bool value) => value ? "yes" : "no";

    private static string? Safe(string? text) => text is null ? null : ControlCharacters.Neutralize(text);

    private static TimeSpan? Duration(RolloutView rollout) =>
        (rollout.FinishedAt ?? (rollout.Status is RolloutStatus.Running or RolloutStatus.Paused ? DateTimeOffset.UtcNow : null)) is { } end && end >= rollout.CreatedAt
            ? end - rollout.CreatedAt
            : null;

    private static string Format(TimeSpan duration) => duration.TotalHours >= 1
        ? $"{(int)duration.TotalHours}h {duration.Minutes:00}m"
        : duration.TotalMinutes >= 1 ? $"{duration.Minutes}m {duration.Seconds:00}s" : $"{duration.Seconds}s";

    private static string Local(DateTimeOffset time) => time.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    private static string Utc(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    private static Style StatusStyle(RolloutView rollout) => rollout.Status switch
    {
        RolloutStatus.Completed when rollout.Failures == 0 => new Style(Color.Green),
        RolloutStatus.Completed or RolloutStatus.Failed => new Style(Color.Red),
        RolloutStatus.Running => new Style(Color.Blue),
        _ => new Style(Color.Yellow),
    };

    private static Style StateStyle(HostRolloutState state) => state switch
    {
        HostRolloutState.Succeeded => new Style(Color.Green),
        HostRolloutState.Failed or HostRolloutState.Unreachable => new Style(Color.Red),
        HostRolloutState.Running => new Style(Color.Blue),
        _ => new Style(Color.Yellow),
    };
}
