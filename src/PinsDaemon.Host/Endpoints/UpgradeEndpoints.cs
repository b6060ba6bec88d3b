using Akka.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
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
        var body = await JsonRequestBody.ReadAsync(context.Request, MaxBodyBytes, UpgradeRequestParser.Expected, cancellationToken);
        if (body.IsRefused)
        {
            audit.LogWarning("Start refused for {Client}: {Refusal}", client, body.Refusal);
            return body.Problem;
        }

        if (!UpgradeRequestParser.TryParse(body.Bytes, out var request, out var problem))
        {
            audit.LogWarning("Start refused for {Client}: invalid body ({Problem})", client, problem);
            return ApiProblems.BadRequest("Invalid upgrade request", $"{problem} {UpgradeRequestParser.Expected}");
        }

        var answer = await jobs.ActorRef.TryAskAsync<JobProtocol.IStartJobReply>(new JobProtocol.StartJob(request.DryRun, client) { Mode = request.Mode, Autoremove = request.Autoremove }, cancellationToken);
        switch (answer)
        {
            case JobProtocol.JobStarted started:
                var id = started.Job.JobId;
                audit.LogInformation(
                    "Start accepted for {Client}: job {JobId} (dry run: {DryRun}, mode {Mode}, autoremove: {Autoremove})",
                    client, id, request.DryRun, request.Mode, request.Autoremove);
                var accepted = new JobAccepted(id.ToString(), "started", started.Job.DryRun, ApiPaths.Job(id), ApiPaths.Logs(id))
                {
                    Mode = started.Job.Mode,
                    Autoremove = started.Job.Autoremove,
                };
                return TypedResults.Accepted(ApiPaths.Job(id), accepted);
            case JobProtocol.JobRejected rejected:
                audit.LogWarning("Start refused for {Client}: job {JobId} is running", client, rejected.RunningJobId);
                return TypedResults.Problem(
                    statusCode: StatusCodes.Status409Conflict,
                    title: "A job is already running",
                    detail: $"{rejected.Reason} Follow it at {ApiPaths.Logs(rejected.RunningJobId)} and try again when it has finished.",
                    extensions: new Dictionary<string, object?> { ["jobId"] = rejected.RunningJobId.ToString() });
            case JobProtocol.StartRefusedForReboot reboot:
                audit.LogWarning("Start refused for {Client}: a reboot is scheduled for {RebootAt}", client, reboot.RebootAt.ToString("u"));
                return TypedResults.Problem(
                    statusCode: StatusCodes.Status409Conflict,
                    title: "A reboot is scheduled",
                    detail: $"The machine reboots at {reboot.RebootAt:u}; a job now would be cut off. Start it after the reboot, or cancel the reboot with DELETE /reboot.");
            default:
                audit.LogError("Start failed for {Client}: the job supervisor did not answer", client);
                return ApiProblems.Unavailable();
        }
    }
}
