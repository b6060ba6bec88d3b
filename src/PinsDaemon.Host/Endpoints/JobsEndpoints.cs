using Akka.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using PinsDaemon.Actors.Jobs;
using PinsDaemon.Actors.Logs;
using PinsDaemon.Actors.Streaming;
using PinsDaemon.Contracts;

namespace PinsDaemon.Host.Endpoints;

internal static class JobsEndpoints
{
    public static IEndpointRouteBuilder MapJobs(this IEndpointRouteBuilder app)
    {
        app.MapGet("/jobs", ListJobsAsync);
        app.MapGet("/jobs/{jobId}", GetJobAsync);
        app.MapGet("/jobs/{jobId}/log", GetLogAsync);
        return app;
    }

    /// <summary>Lines per page of <c>GET /jobs/{id}/log</c> unless <c>limit</c> says otherwise, and the most it may say.</summary>
    public const int DefaultLogLimit = 1000;

    public const int MaxLogLimit = 10_000;

    /// <summary><c>GET /jobs/{id}/log?after=N&amp;limit=M</c>: a JSON array of the same line objects the WebSocket sends.</summary>
    private static async Task<IResult> GetLogAsync(
        string jobId,
        HttpRequest request,
        IRequiredActor<JobSupervisor> jobs,
        CancellationToken cancellationToken)
    {
        if (!JobId.TryParse(jobId, out var id))
        {
            return ApiProblems.InvalidJobId();
        }

        if (!QueryNumbers.TryGet(request.Query, "after", 0, 0, long.MaxValue, out var after))
        {
            return ApiProblems.BadRequest("Invalid 'after'", "'after' is the last seq the client already has: a whole number, 0 or more.");
        }

        if (!QueryNumbers.TryGet(request.Query, "limit", DefaultLogLimit, 1, MaxLogLimit, out var limit))
        {
            return ApiProblems.BadRequest("Invalid 'limit'", $"'limit' is how many lines to return: a whole number from 1 to {MaxLogLimit}.");
        }

        return await jobs.ActorRef.TryAskAsync(new LogProtocol.ReadLog(id, after, (int)limit), cancellationToken) switch
        {
            LogProtocol.LogPage page => TypedResults.Bytes(LogFrames.LineArray(page.Lines), "application/json"),
            JobProtocol.JobNotFound => ApiProblems.JobNotFound(id),
            _ => ApiProblems.Unavailable(),
        };
    }

    private static async Task<Results<Ok<IReadOnlyList<JobSnapshot>>, ProblemHttpResult>> ListJobsAsync(
        IRequiredActor<JobSupervisor> jobs,
        CancellationToken cancellationToken)
    {
        return await jobs.ActorRef.TryAskAsync(JobProtocol.ListJobs.Instance, cancellationToken) switch
        {
            JobProtocol.JobList list => TypedResults.Ok(list.Jobs),
            _ => ApiProblems.Unavailable(),
        };
    }

    private static async Task<Results<Ok<JobSnapshot>, ProblemHttpResult>> GetJobAsync(
        string jobId,
        IRequiredActor<JobSupervisor> jobs,
        CancellationToken cancellationToken)
    {
        if (!JobId.TryParse(jobId, out var id))
        {
            return ApiProblems.InvalidJobId();
        }

        return await jobs.ActorRef.TryAskAsync(new JobProtocol.GetJob(id), cancellationToken) switch
        {
            JobProtocol.JobFound found => TypedResults.Ok(found.Job),
            JobProtocol.JobNotFound => ApiProblems.JobNotFound(id),
            _ => ApiProblems.Unavailable(),
        };
    }
}
