using System.Security.Claims;
using Akka.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using PinsDaemon.Actors.Jobs;
using PinsDaemon.Actors.Logs;
using PinsDaemon.Actors.Notifications;
using PinsDaemon.Actors.Streaming;
using PinsDaemon.Contracts;
using PinsDaemon.Host.Auth;

namespace PinsDaemon.Host.Endpoints;

/// <summary>Every route under <c>/jobs</c>; those that name a job take its id once, as a <see cref="JobId"/>.</summary>
internal static class JobsEndpoints
{
    public static IEndpointRouteBuilder MapJobs(this IEndpointRouteBuilder app)
    {
        var jobs = app.MapGroup("/jobs");
        jobs.MapGet(string.Empty, ListJobsAsync);

        var job = jobs.MapGroup(JobRoute.Template);
        job.MapGet(string.Empty, GetJobAsync);
        job.MapGet("/log", GetLogAsync);
        job.MapPost("/cancel", CancelAsync);
        job.MapPost("/ticket", IssueTicketAsync);
        return app;
    }

    /// <summary>Lines per page of <c>GET /jobs/{id}/log</c> unless <c>limit</c> says otherwise, and the most it may say.</summary>
    public const int DefaultLogLimit = 1000;

    public const int MaxLogLimit = 10_000;

    /// <summary>
    /// 1 MiB per page: thousands of apt's lines, so a client rarely needs a second page, and
    /// small enough that a few clients paging at once cost the daemon little. A count alone let
    /// one request for 10,000 long lines build a 75 MiB answer. The largest line frame (64 KiB
    /// of text, escaped) is far below it, and a page always holds at least one line.
    /// </summary>
    public const int MaxPageBytes = 1024 * 1024;

    private static async Task<Results<Ok<IReadOnlyList<JobSnapshot>>, ProblemHttpResult>> ListJobsAsync(
        IRequiredActor<JobSupervisor> jobs,
        CancellationToken cancellationToken)
    {
        return await jobs.ActorRef.TryAskAsync<JobProtocol.JobList>(JobProtocol.ListJobs.Instance, cancellationToken) switch
        {
            { } list => TypedResults.Ok(list.Jobs),
            null => ApiProblems.Unavailable(),
        };
    }

    /// <summary><c>GET /jobs/{id}</c>: the job, with its notifications' delivery status (null when the notifier did not answer in time).</summary>
    private static async Task<Results<Ok<JobSnapshot>, ProblemHttpResult>> GetJobAsync(
        JobId jobId,
        IRequiredActor<JobSupervisor> jobs,
        IRequiredActor<NotificationDispatcher> notifications,
        CancellationToken cancellationToken)
    {
        switch (await jobs.ActorRef.TryAskAsync<JobProtocol.IGetJobReply>(new JobProtocol.GetJob(jobId), cancellationToken))
        {
            case JobProtocol.JobFound found:
                var deliveries = await notifications.ActorRef.TryAskAsync<NotificationProtocol.Deliveries>(new NotificationProtocol.GetDeliveries(jobId), cancellationToken);
                return TypedResults.Ok(found.Job with { Notifications = deliveries?.Items });
            case JobProtocol.JobNotFound:
                return ApiProblems.JobNotFound(jobId);
            default:
                return ApiProblems.Unavailable();
        }
    }

    /// <summary>
    /// <c>GET /jobs/{id}/log?after=N&amp;limit=M</c>: a JSON array of the same line objects the
    /// WebSocket sends, at most <c>limit</c> lines and about <see cref="MaxPageBytes"/>. When more
    /// lines are there, <c>Link: &lt;...?after=LAST&amp;limit=M&gt;; rel="next"</c> points at the rest.
    /// </summary>
    private static async Task<IResult> GetLogAsync(
        JobId jobId,
        HttpContext context,
        IRequiredActor<JobSupervisor> jobs,
        CancellationToken cancellationToken)
    {
        if (!QueryNumbers.TryGet(context.Request.Query, "after", 0, 0, long.MaxValue, out var after))
        {
            return ApiProblems.BadRequest("Invalid 'after'", "'after' is the last seq the client already has: a whole number, 0 or more.");
        }

        if (!QueryNumbers.TryGet(context.Request.Query, "limit", DefaultLogLimit, 1, MaxLogLimit, out var limit))
        {
            return ApiProblems.BadRequest("Invalid 'limit'", $"'limit' is how many lines to return: a whole number from 1 to {MaxLogLimit}.");
        }

        // One ask: the job's log stops the page at the byte budget (each frame and its separator;
        // one byte is kept for the closing bracket), so no more than a page is ever held for it,
        // however long the lines.
        var read = new LogProtocol.ReadLog(jobId, after, (int)limit, MaxBytes: MaxPageBytes - 1);
        switch (await jobs.ActorRef.TryAskAsync<LogProtocol.IReadLogReply>(read, cancellationToken))
        {
            case LogProtocol.LogPage page:
                if (page.More)
                {
                    context.Response.Headers.Link = $"<{ApiPaths.JobLog(jobId)}?after={page.Lines[^1].Seq}&limit={limit}>; rel=\"next\"";
                }

                return TypedResults.Bytes(LogFrames.LineArray(page.Lines), "application/json");
            case JobProtocol.JobNotFound:
                return ApiProblems.JobNotFound(jobId);
            default:
                return ApiProblems.Unavailable();
        }
    }

    /// <summary>
    /// <c>POST /jobs/{id}/cancel</c>: stops a job that is updating lists or downloading (202, it
    /// ends <c>cancelled</c>); refused with 409 once dpkg is changing the system.
    /// </summary>
    private static async Task<Results<Accepted<JobSnapshot>, ProblemHttpResult>> CancelAsync(
        JobId jobId,
        HttpContext context,
        IRequiredActor<JobSupervisor> jobs,
        ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        var audit = loggers.CreateLogger(Audit.Category);
        var client = Audit.Client(context);
        switch (await jobs.ActorRef.TryAskAsync<JobProtocol.ICancelJobReply>(new JobProtocol.CancelJob(jobId, client), cancellationToken))
        {
            case JobProtocol.CancelAccepted accepted:
                audit.LogInformation("Cancel accepted for {Client}: job {JobId}", client, jobId);
                return TypedResults.Accepted(ApiPaths.Job(jobId), accepted.Job);
            case JobProtocol.CancelRefused refused:
                audit.LogWarning("Cancel refused for {Client}: job {JobId}: {Reason}", client, jobId, refused.Reason);
                return TypedResults.Problem(
                    statusCode: StatusCodes.Status409Conflict,
                    title: "The job cannot be cancelled",
                    detail: refused.Reason,
                    extensions: new Dictionary<string, object?> { ["jobId"] = jobId.ToString() });
            case JobProtocol.JobNotFound:
                audit.LogWarning("Cancel refused for {Client}: no job {JobId}", client, jobId);
                return ApiProblems.JobNotFound(jobId);
            default:
                return ApiProblems.Unavailable();
        }
    }

    /// <summary>
    /// <c>POST /jobs/{id}/ticket</c>: a single-use, 30-second credential for <c>/logs/{id}?ticket=</c>.
    /// Asked for by a page session, it is issued to that session and ends with it.
    /// </summary>
    private static async Task<Results<Ok<TicketResponse>, ProblemHttpResult>> IssueTicketAsync(
        JobId jobId,
        ClaimsPrincipal user,
        IRequiredActor<JobSupervisor> jobs,
        TicketStore tickets,
        CancellationToken cancellationToken)
    {
        switch (await jobs.ActorRef.TryAskAsync<JobProtocol.IGetJobReply>(new JobProtocol.GetJob(jobId), cancellationToken))
        {
            case JobProtocol.JobNotFound:
                return ApiProblems.JobNotFound(jobId);
            case not JobProtocol.JobFound:
                return ApiProblems.Unavailable();
        }

        return LogStreamAccess.IssueTicket(tickets, ApiPaths.Logs(jobId), user.FindFirst(SessionAuthenticationHandler.SessionClaim)?.Value);
    }
}
