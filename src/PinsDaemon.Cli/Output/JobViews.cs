using System.Globalization;
using PinsDaemon.Contracts;
using Spectre.Console;

namespace PinsDaemon.Cli.Output;

/// <summary>
/// Jobs as a person reads them: Spectre tables on a terminal, plain lines otherwise. Every
/// string from the daemon goes through <see cref="ControlCharacters.Neutralize"/> and into
/// <see cref="Text"/> (never markup), so a package name cannot style or move anything.
/// </summary>
internal static class JobViews
{
    /// <summary>The job table's fixed columns and their widths: a job id, "interrupted", "dry run", "11-30 05:15", "59m 59s".</summary>
    private static readonly (string Name, int Width)[] JobColumns = [("Job", JobId.TextLength), ("Status", 11), ("Mode", 7), ("Created", 11), ("Took", 7)];

    public static string Mode(bool dryRun) => dryRun ? "dry run" : "upgrade";

    public static string Status(JobStatus status) => status.WireName();

    /// <summary>The job list, newest first.</summary>
    public static void WriteJobs(IReadOnlyList<JobSnapshot> jobs, Terminal terminal)
    {
        if (!terminal.OutputIsTerminal)
        {
            // One job per line, tab-separated: id, status, mode, created (UTC, ISO 8601), duration in seconds, reason.
            foreach (var job in jobs)
            {
                var seconds = Duration(job) is { } duration ? ((long)duration.TotalSeconds).ToString(CultureInfo.InvariantCulture) : "-";
                Console.Out.WriteLine(string.Join('\t', job.JobId, Status(job.Status), Mode(job.DryRun), job.CreatedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture), seconds, Safe(job.Reason) ?? "-"));
            }

            return;
        }

        if (jobs.Count == 0)
        {
            terminal.Output.MarkupLine("[dim]No jobs yet.[/]");
            return;
        }

        // Ids whole (they are what show, logs and cancel take), no borders and one space between
        // columns, so the table fits 80 columns; a wider terminal also gets the outcome, cut to fit.
        var outcomeWidth = terminal.Output.Profile.Width - 1 - JobColumns.Sum(c => c.Width + 1) - 1;
        var withOutcome = outcomeWidth >= 20;
        var table = new Table().Border(TableBorder.None);
        foreach (var (header, width) in withOutcome ? JobColumns.Append(("Outcome", outcomeWidth)) : JobColumns)
        {
            table.AddColumn(new TableColumn(new Text(header, new Style(decoration: Decoration.Bold))).NoWrap().Width(width).PadLeft(0).PadRight(header == "Job" ? 2 : 1));
        }

        foreach (var job in jobs)
        {
            var cells = new List<Text>
            {
                new(job.JobId.ToString()),
                new(Status(job.Status), StatusStyle(job.Status)),
                new(Mode(job.DryRun)),
                new(job.CreatedAt.ToLocalTime().ToString("MM-dd HH:mm", CultureInfo.InvariantCulture)),
                new(Duration(job) is { } d ? Format(d) : "-"),
            };
            if (withOutcome)
            {
                cells.Add(new Text(TerminalText.Fit(Safe(job.Reason ?? job.Message) ?? string.Empty, outcomeWidth, "…")));
            }

            table.AddRow(cells);
        }

        terminal.Output.Write(table);
    }

    /// <summary>Everything known about one job (<c>pins show</c>), on stdout.</summary>
    public static void WriteJob(JobSnapshot job, Terminal terminal)
    {
        var fields = new List<(string Name, string Value)>
        {
            ("job", job.JobId.ToString()),
            ("status", Status(job.Status)),
            ("mode", Mode(job.DryRun)),
            ("created", Local(job.CreatedAt)),
        };
        Add(fields, "started", job.StartedAt is { } started ? Local(started) : null);
        Add(fields, "finished", job.FinishedAt is { } finished ? Local(finished) : null);
        Add(fields, "duration", Duration(job) is { } duration ? Format(duration) : null);
        Add(fields, "exit code", job.ExitCode?.ToString(CultureInfo.InvariantCulture));
        fields.Add(("log lines", job.LineCount.ToString(CultureInfo.InvariantCulture)));
        Add(fields, "message", Safe(job.Message));
        Add(fields, "reason", Safe(job.Reason));
        Add(fields, "warning", Safe(job.Warning));
        if (job.Progress is { } progress)
        {
            Add(fields, "progress", Safe(string.Join(" ", new[] { progress.Phase, progress.Percent is { } p ? $"{p:0}%" : null, progress.Package, progress.Message }.Where(s => s is not null))));
        }

        if (job.LogIncomplete)
        {
            fields.Add(("log", "incomplete: the host's disk lost lines"));
        }

        Add(fields, "reboot required", job.RebootRequired is { } reboot ? (reboot ? $"yes{Packages(job.RebootRequiredPackages)}" : "no") : null);
        Add(fields, "services to restart", job.ServicesNeedingRestart is { Count: > 0 } services ? Safe(string.Join(", ", services)) : null);

        if (terminal.OutputIsTerminal)
        {
            var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
            foreach (var (name, value) in fields)
            {
                grid.AddRow(new Text(name, new Style(decoration: Decoration.Bold)), new Text(value, name == "status" ? StatusStyle(job.Status) : Style.Plain));
            }

            terminal.Output.Write(grid);
        }
        else
        {
            foreach (var (name, value) in fields)
            {
                Console.Out.WriteLine($"{name}: {value}");
            }
        }

        if (job.Plan is { } plan)
        {
            WritePlan(plan, terminal.Output, terminal.OutputIsTerminal, Console.Out);
        }

        if (job.Upgraded is { Count: > 0 } upgraded)
        {
            WriteUpgraded(upgraded, terminal.Output, terminal.OutputIsTerminal, Console.Out);
        }
    }

    /// <summary>A dry run's plan: a table on a terminal, otherwise one line per package.</summary>
    public static void WritePlan(IReadOnlyList<PlanEntry> plan, IAnsiConsole console, bool rich, TextWriter plain)
    {
        if (plan.Count == 0)
        {
            Line(console, rich, plain, "Nothing to upgrade.");
            return;
        }

        Line(console, rich, plain, $"Plan: {Count(plan.Count)}:");
        if (!rich)
        {
            foreach (var entry in plan)
            {
                plain.WriteLine($"  {Safe(entry.Action)} {Safe(entry.Package)} {Safe(entry.From) ?? "(new)"} -> {Safe(entry.To) ?? "(removed)"}{(entry.Origin is { } origin ? $" ({Safe(origin)})" : string.Empty)}");
            }

            return;
        }

        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("Package").AddColumn("Action").AddColumn("Installed").AddColumn("New").AddColumn("Origin");
        foreach (var entry in plan)
        {
            table.AddRow(
                new Text(Safe(entry.Package)!, new Style(decoration: Decoration.Bold)),
                new Text(Safe(entry.Action)!, entry.Action is "remove" or "purge" ? new Style(Color.Red) : Style.Plain),
                new Text(Safe(entry.From) ?? "-"),
                new Text(Safe(entry.To) ?? "-", new Style(Color.Green)),
                new Text(Safe(entry.Origin) ?? string.Empty));
        }

        console.Write(table);
    }

    /// <summary>What an apply changed, and what it leaves to the owner (a reboot, services to restart).</summary>
    public static void WriteUpgraded(IReadOnlyList<UpgradedPackage> upgraded, IAnsiConsole console, bool rich, TextWriter plain)
    {
        Line(console, rich, plain, $"Changed: {Count(upgraded.Count)}:");
        if (!rich)
        {
            foreach (var package in upgraded)
            {
                plain.WriteLine($"  {Safe(package.Package)} {Safe(package.From) ?? "(new)"} -> {Safe(package.To)}");
            }

            return;
        }

        var table = new Table().Border(TableBorder.Rounded).AddColumn("Package").AddColumn("Was").AddColumn("Now");
        foreach (var package in upgraded)
        {
            table.AddRow(new Text(Safe(package.Package)!), new Text(Safe(package.From) ?? "-"), new Text(Safe(package.To)!, new Style(Color.Green)));
        }

        console.Write(table);
    }

    /// <summary>The end of a followed job, on stderr: outcome, then the plan or what changed.</summary>
    public static void WriteOutcome(JobSnapshot job, Terminal terminal)
    {
        var rich = terminal.ErrorIsTerminal;
        var reason = job.Reason is { } code && code != Status(job.Status) ? $" ({Safe(code)})" : string.Empty;
        var summary = $"Job {job.JobId} {Status(job.Status)}{reason}{(job.Message is { } message ? $": {Safe(message)}" : ".")}";
        if (rich)
        {
            terminal.Error.Write(new Text(summary + "\n", StatusStyle(job.Status)));
        }
        else
        {
            Console.Error.WriteLine($"pins: {summary}");
        }

        if (job.Plan is { } plan && job.Status == JobStatus.Succeeded)
        {
            WritePlan(plan, terminal.Error, rich, Console.Error);
        }

        if (job.Upgraded is { Count: > 0 } upgraded)
        {
            WriteUpgraded(upgraded, terminal.Error, rich, Console.Error);
        }

        if (job.RebootRequired == true)
        {
            Line(terminal.Error, rich, Console.Error, $"A reboot is required{Packages(job.RebootRequiredPackages)}.");
        }

        if (job.ServicesNeedingRestart is { Count: > 0 } services)
        {
            Line(terminal.Error, rich, Console.Error, $"Services still running old code: {Safe(string.Join(", ", services))}.");
        }
    }

    public static string Count(int packages) => packages == 1 ? "1 package" : $"{packages} packages";

    private static void Line(IAnsiConsole console, bool rich, TextWriter plain, string text)
    {
        if (rich)
        {
            console.Write(new Text(text + "\n"));
        }
        else
        {
            plain.WriteLine(text);
        }
    }

    private static void Add(List<(string, string)> fields, string name, string? value)
    {
        if (value is not null)
        {
            fields.Add((name, value));
        }
    }

    private static string Packages(IReadOnlyList<string>? packages) =>
        packages is { Count: > 0 } ? $" (by {Safe(string.Join(", ", packages))})" : string.Empty;

    private static string? Safe(string? text) => text is null ? null : ControlCharacters.Neutralize(text);

    private static TimeSpan? Duration(JobSnapshot job) => job.StartedAt is { } started
        ? (job.FinishedAt ?? (job.Status == JobStatus.Running ? DateTimeOffset.UtcNow : null)) is { } end && end >= started ? end - started : null
        : null;

    private static string Format(TimeSpan duration) => duration.TotalHours >= 1
        ? $"{(int)duration.TotalHours}h {duration.Minutes:00}m"
        : duration.TotalMinutes >= 1 ? $"{duration.Minutes}m {duration.Seconds:00}s" : $"{duration.Seconds}s";

    private static string Local(DateTimeOffset time) => time.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    private static Style StatusStyle(JobStatus status) => status switch
    {
        JobStatus.Succeeded => new Style(Color.Green),
        JobStatus.Failed => new Style(Color.Red),
        JobStatus.Running => new Style(Color.Blue),
        _ => new Style(Color.Yellow),
    };
}
