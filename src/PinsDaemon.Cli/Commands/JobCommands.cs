using System.CommandLine;
using PinsDaemon.Cli.Api;
using PinsDaemon.Cli.Hosts;
using PinsDaemon.Cli.Output;

namespace PinsDaemon.Cli.Commands;

/// <summary><c>pins jobs</c>, <c>pins show ID</c>, <c>pins logs ID</c> and <c>pins cancel ID</c>.</summary>
internal static class JobCommands
{
    public static Command Jobs()
    {
        var host = CommonOptions.Host();
        var command = new Command("jobs", "List the host's jobs, newest first, including those started by other clients") { host };
        Invocation.Bind(command, async (run, ct) =>
        {
            using var client = new DaemonClient(HostSelection.Resolve(run.Value(host)));
            var jobs = await client.ListJobsAsync(ct);
            if (run.Json)
            {
                JobOutput.WriteJson(jobs.Json);
            }
            else
            {
                JobViews.WriteJobs(jobs.Value, run.Terminal);
            }

            return ExitCodes.Succeeded;
        });
        return command;
    }

    public static Command Show()
    {
        var id = CommonOptions.JobIdArgument();
        var host = CommonOptions.Host();
        var exitReboot = CommonOptions.ExitReboot();
        var command = new Command("show", "Show one job: status, timings, message, the plan of a dry run, what an upgrade changed. Exits with the job's outcome")
        {
            id, host, exitReboot,
        };
        Invocation.Bind(command, async (run, ct) =>
        {
            using var client = new DaemonClient(HostSelection.Resolve(run.Value(host)));
            var job = await client.GetJobAsync(run.Value(id), ct);
            if (run.Json)
            {
                JobOutput.WriteJson(job.Json);
            }
            else
            {
                JobViews.WriteJob(job.Value, run.Terminal);
            }

            return ExitCodes.ForJob(job.Value.Status, job.Value.RebootRequired, run.Value(exitReboot));
        });
        return command;
    }

    public static Command Logs()
    {
        var id = CommonOptions.JobIdArgument();
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep streaming until the job ends, across dropped connections and daemon restarts, and exit with its outcome" };
        var after = new Option<long>("--after")
        {
            Description = "Only lines after this line number (resume where an earlier pins logs stopped)",
            HelpName = "N",
        };
        after.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<long>() < 0)
            {
                result.AddError("--after is a line number: 0 or more.");
            }
        });
        var host = CommonOptions.Host();
        var exitReboot = CommonOptions.ExitReboot();
        var command = new Command("logs", "Print a job's log to stdout (status goes to stderr). Exits with the job's outcome")
        {
            id, follow, after, host, exitReboot,
        };
        Invocation.Bind(command, async (run, ct) =>
        {
            using var client = new DaemonClient(HostSelection.Resolve(run.Value(host)));
            using var printer = new LogPrinter(run.Json, run.Status);
            var job = run.Value(id);
            if (run.Value(follow))
            {
                var (code, _) = await JobOutput.FollowAsync(run, client, job, run.Value(after), printer, run.Value(exitReboot), ct);
                return code;
            }

            // The lines stored so far, a page at a time; a page's lines are printed as they arrive.
            var batch = new List<Contracts.LineFrame>(64);
            await foreach (var line in client.ReadLogAsync(job, run.Value(after), ct))
            {
                batch.Add(line);
                if (batch.Count == batch.Capacity)
                {
                    printer.Print(batch);
                    batch.Clear();
                }
            }

            printer.Print(batch);
            var snapshot = (await client.GetJobAsync(job, ct)).Value;
            return ExitCodes.ForJob(snapshot.Status, snapshot.RebootRequired, run.Value(exitReboot));
        });
        return command;
    }

    public static Command Cancel()
    {
        var id = CommonOptions.JobIdArgument();
        var host = CommonOptions.Host();
        var command = new Command("cancel", "Cancel a running job. Possible while it updates, downloads or simulates; refused once dpkg is changing the system")
        {
            id, host,
        };
        Invocation.Bind(command, async (run, ct) =>
        {
            using var client = new DaemonClient(HostSelection.Resolve(run.Value(host)));
            var job = await client.CancelAsync(run.Value(id), ct);
            if (run.Json)
            {
                JobOutput.WriteJson(job.Json);
            }

            run.Status.Info($"Cancelling job {job.Value.JobId}: it stops before dpkg changes anything and ends cancelled.");
            return ExitCodes.Succeeded;
        });
        return command;
    }
}
