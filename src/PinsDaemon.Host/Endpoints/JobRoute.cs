using PinsDaemon.Contracts;

namespace PinsDaemon.Host.Endpoints;

/// <summary>
/// The <c>{jobId}</c> of every route that names a job. Handlers take a <see cref="JobId"/>:
/// minimal APIs parse it once, with <see cref="JobId.TryParse"/>, before the handler runs, and
/// answer 400 when it is not a job id. This fills that 400 in with what a job id is.
/// </summary>
internal static class JobRoute
{
    public const string Parameter = "jobId";

    public const string Template = "{" + Parameter + "}";

    public const string Title = "Invalid job id";

    public const string Detail = "A job id is a GUID such as 3f2504e0-4f89-41d3-9a0c-0305e82c3301, as returned by POST /upgrade.";

    /// <summary>The request's job id, for code that runs before the handler binds it (authentication).</summary>
    public static bool TryGet(HttpContext context, out JobId jobId)
    {
        jobId = default;
        return context.GetRouteValue(Parameter) is string text && JobId.TryParse(text, out jobId);
    }

    /// <summary>For <c>ProblemDetailsOptions.CustomizeProblemDetails</c>.</summary>
    public static void DescribeInvalidId(ProblemDetailsContext context)
    {
        if (context.ProblemDetails.Status == StatusCodes.Status400BadRequest
            && context.ProblemDetails.Detail is null
            && context.HttpContext.GetRouteValue(Parameter) is string text
            && !JobId.TryParse(text, out _))
        {
            context.ProblemDetails.Title = Title;
            context.ProblemDetails.Detail = Detail;
        }
    }
}
