using Microsoft.AspNetCore.Http.HttpResults;
using PinsDaemon.Actors.Jobs;
using PinsDaemon.Contracts;

namespace PinsDaemon.Host.Endpoints;

/// <summary>The problem+json answers shared by the endpoints, each with a message a person can act on.</summary>
internal static class ApiProblems
{
    public static ProblemHttpResult JobNotFound(JobId id) => TypedResults.Problem(
        statusCode: StatusCodes.Status404NotFound,
        title: "Job not found",
        detail: $"There is no job {id}. GET /jobs lists the jobs this daemon knows.");

    public static ProblemHttpResult Unavailable() => TypedResults.Problem(
        statusCode: StatusCodes.Status503ServiceUnavailable,
        title: "Daemon busy",
        detail: "The job supervisor did not answer in time. Try again in a moment.");

    /// <summary>A cookie request that would change something without the session's anti-forgery token.</summary>
    public static ProblemHttpResult MissingCsrfToken() => TypedResults.Problem(
        statusCode: StatusCodes.Status403Forbidden,
        title: "Anti-forgery token missing",
        detail: "A request signed in with the session cookie that changes something must carry the header 'X-CSRF-Token' with the token POST /session or GET /session answered.");

    public static ProblemHttpResult BadRequest(string title, string detail) => TypedResults.Problem(
        statusCode: StatusCodes.Status400BadRequest,
        title: title,
        detail: detail);
}
