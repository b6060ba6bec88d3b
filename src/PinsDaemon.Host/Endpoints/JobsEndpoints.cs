using Akka.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using PinsDaemon.Actors.Jobs;

namespace PinsDaemon.Host.Endpoints;

internal static class JobsEndpoints
{
    public static IEndpointRouteBuilder MapJobs(this IEndpointRouteBuilder app)
    {
        app.MapGet("/jobs", ListJobsAsync);
        app.MapGet("/jobs/{jobId}", GetJobAsync);
        return app;
    }

    private static async Task<Results<Ok<JobResponse[]>, ProblemHttpResult>> ListJobsAsync(
        IRequiredActor<JobSupervisor> jobs,
        CancellationToken cancellationToken)
    {
        return await jobs.ActorRef.TryAskAsync(JobProtocol.ListJobs.Instance, cancellationToken) switch
        {
            JobProtocol.JobList list => TypedResults.Ok(list.Jobs.Select(JobResponse.From).ToArray()),
            _ => ApiProblems.Unavailable(),
        };
    }

    private static async Task<Results<Ok<JobResponse>, ProblemHttpResult>> GetJobAsync(
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
            JobProtocol.JobFound found => TypedResults.Ok(JobResponse.From(found.Job)),
            JobProtocol.JobNotFound => ApiProblems.JobNotFound(id),
            _ => ApiProblems.Unavailable(),
        };
    }
}
