using Akka.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using PinsDaemon.Actors.Jobs;
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

        return await jobs.ActorRef.TryAskAsync(new JobProtocol.ReadLog(id, after, (int)limit), cancellationToken) switch
        {
            JobProtocol.LogPage page => TypedResults.Bytes(LineArray(page.Lines), "application/json"),
            JobProtocol.JobNotFound => ApiProblems.JobNotFound(id),
            _ => ApiProblems.Unavailable(),
        };
    }

    /// <summary>The lines' frames, already JSON, joined into an array without re-serialising.</summary>
    private static byte[] LineArray(IReadOnlyList<LogLine> lines)
    {
        var size = 2 + lines.Sum(line => line.Frame.Length + 1);
        var output = new byte[size - (lines.Count > 0 ? 1 : 0)];
        var position = 0;
        output[position++] = (byte)'[';
        for (var i = 0; i < lines.Count; i++)
        {
            if (i > 0)
            {
                output[position++] = (byte)',';
            }

            lines[i].Frame.Span.CopyTo(output.AsSpan(position));
            position += lines[i].Frame.Length;
        }

        output[position] = (byte)']';
        return output;
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
