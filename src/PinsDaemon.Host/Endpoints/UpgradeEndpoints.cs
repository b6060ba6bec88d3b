using System.Buffers;
using Akka.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;
using PinsDaemon.Actors.Jobs;
using PinsDaemon.Contracts;

namespace PinsDaemon.Host.Endpoints;

internal static class UpgradeEndpoints
{
    /// <summary>
    /// 4 KiB: the only valid body is about 16 bytes; anything near this size is not a client of
    /// ours, and reading it whole costs nothing.
    /// </summary>
    public const int MaxBodyBytes = 4 * 1024;

    public static IEndpointRouteBuilder MapUpgrade(this IEndpointRouteBuilder app)
    {
        app.MapPost("/upgrade", StartUpgradeAsync);
        return app;
    }

    private static async Task<Results<Accepted<JobAccepted>, ProblemHttpResult>> StartUpgradeAsync(
        HttpContext context,
        IRequiredActor<JobSupervisor> jobs,
        ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        var audit = loggers.CreateLogger(Audit.Category);
        var client = Audit.Client(context);
        if (!IsJson(context.Request.ContentType))
        {
            audit.LogWarning("Start refused for {Client}: Content-Type '{ContentType}' is not JSON", client, Audit.LogSafe(context.Request.ContentType, 80));
            return TypedResults.Problem(
                statusCode: StatusCodes.Status415UnsupportedMediaType,
                title: "The body must be JSON",
                detail: $"Send the body with 'Content-Type: application/json' (UTF-8). {UpgradeRequestParser.Expected}");
        }

        var body = await ReadBodyAsync(context.Request, cancellationToken);
        if (body is null)
        {
            audit.LogWarning("Start refused for {Client}: body over {Limit} bytes", client, MaxBodyBytes);
            return TypedResults.Problem(
                statusCode: StatusCodes.Status413PayloadTooLarge,
                title: "Request body too large",
                detail: $"The body may be at most {MaxBodyBytes} bytes. {UpgradeRequestParser.Expected}");
        }

        if (!UpgradeRequestParser.TryParse(body, out var dryRun, out var problem))
        {
            audit.LogWarning("Start refused for {Client}: invalid body ({Problem})", client, problem);
            return ApiProblems.BadRequest("Invalid upgrade request", $"{problem} {UpgradeRequestParser.Expected}");
        }

        var answer = await jobs.ActorRef.TryAskAsync<JobProtocol.IStartJobReply>(new JobProtocol.StartJob(dryRun, client), cancellationToken);
        switch (answer)
        {
            case JobProtocol.JobStarted started:
                var id = started.Job.JobId;
                audit.LogInformation("Start accepted for {Client}: job {JobId} (dry run: {DryRun})", client, id, dryRun);
                var accepted = new JobAccepted(id.ToString(), "started", started.Job.DryRun, ApiPaths.Job(id), ApiPaths.Logs(id));
                return TypedResults.Accepted(ApiPaths.Job(id), accepted);
            case JobProtocol.JobRejected rejected:
                audit.LogWarning("Start refused for {Client}: job {JobId} is running", client, rejected.RunningJobId);
                return TypedResults.Problem(
                    statusCode: StatusCodes.Status409Conflict,
                    title: "A job is already running",
                    detail: $"{rejected.Reason} Follow it at {ApiPaths.Logs(rejected.RunningJobId)} and try again when it has finished.",
                    extensions: new Dictionary<string, object?> { ["jobId"] = rejected.RunningJobId.ToString() });
            default:
                audit.LogError("Start failed for {Client}: the job supervisor did not answer", client);
                return ApiProblems.Unavailable();
        }
    }

    /// <summary>
    /// <c>application/json</c>, with no charset or UTF-8 (the only encoding JSON has, RFC 8259).
    /// The body is read strictly as JSON, so a client that labels it otherwise has made a
    /// mistake worth telling it about rather than guessing past.
    /// </summary>
    private static bool IsJson(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var parsed)
            || !string.Equals(parsed.MediaType.Value, "application/json", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var charset = HeaderUtilities.RemoveQuotes(parsed.Charset);
        return charset.Length == 0 || charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The body, or null when it is larger than <see cref="MaxBodyBytes"/>.</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            return null;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(MaxBodyBytes + 1);
        try
        {
            var total = 0;
            while (total <= MaxBodyBytes)
            {
                var read = await request.Body.ReadAsync(buffer.AsMemory(total, MaxBodyBytes + 1 - total), cancellationToken);
                if (read == 0)
                {
                    return buffer.AsSpan(0, total).ToArray();
                }

                total += read;
            }

            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
