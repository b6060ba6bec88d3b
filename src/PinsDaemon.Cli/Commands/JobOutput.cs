using System.Text.Json;
using PinsDaemon.Cli.Api;
using PinsDaemon.Cli.Output;
using PinsDaemon.Contracts;

namespace PinsDaemon.Cli.Commands;

/// <summary>Following a job and reporting how it ended, shared by <c>upgrade</c> and <c>logs</c>.</summary>
internal static class JobOutput
{
    /// <summary>JSON on stdout as the daemon sent it, indented; the default encoder escapes every control and non-ASCII character, so it is terminal-safe too.</summary>
    private static readonly JsonSerializerOptions Indented = new(ContractJson.Options) { WriteIndented = true };

    public static void WriteJson(JsonElement json) => Console.Out.WriteLine(JsonSerializer.Serialize(json, Indented));

    /// <summary>
    /// What a start without <c>--follow</c> prints: the id alone on stdout, so
    /// <c>id=$(pins ...)</c> works (with <c>--json</c>, the daemon's answer instead), and on
    /// stderr the command that follows it.
    /// </summary>
    public static int Started(Invocation run, string id, JsonElement answer, string followWith)
    {
        if (run.Json)
        {
            WriteJson(answer);
        }
        else
        {
            Console.Out.WriteLine(id);
        }

        run.Status.Info($"Follow it with: {followWith}");
        return ExitCodes.Succeeded;
    }

    /// <summary>
    /// Follows <paramref name="job"/>'s log from after line <paramref name="after"/> to its end,
    /// printing lines to stdout (none when <paramref name="printer"/> is null) and progress on
    /// stderr; then reports the outcome. Returns the job as it ended and the exit code that means.
    /// </summary>
    public static async Task<(int ExitCode, JobSnapshot Job)> FollowAsync(Invocation run, DaemonClient client, JobId job, long after, LogPrinter? printer, bool exitReboot, CancellationToken ct)
    {
        var snapshot = (await client.GetJobAsync(job, ct)).Value;
        var follower = new LogFollower(client, job, after, run.Status, lines => printer?.Print(lines));
        run.Status.BeginJob($"{JobViews.Mode(snapshot.DryRun)} {job}", snapshot.StartedAt);
        EndFrame end;
        try
        {
            end = await follower.FollowAsync(ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            run.Status.Info($"Stopped following. {follower.ResumeHint()}");
            return (ExitCodes.Interrupted, snapshot);
        }
        finally
        {
            // Before any message: the progress line is cleared, not left above it.
            run.Status.EndJob();
        }

        // The end frame has the status; the job has the rest (plan, reboot). A daemon gone again
        // by now leaves the end frame's word.
        try
        {
            snapshot = (await client.GetJobAsync(job, ct)).Value;
        }
        catch (CliException ex) when (ex.Retryable)
        {
            snapshot = snapshot with { Status = end.Status, ExitCode = end.ExitCode, Message = end.Message };
        }

        JobViews.WriteOutcome(snapshot, run.Terminal);
        return (ExitCodes.ForJob(snapshot.Status, snapshot.RebootRequired, exitReboot), snapshot);
    }
}
