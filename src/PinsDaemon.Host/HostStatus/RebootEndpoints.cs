using Akka.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using PinsDaemon.Actors.Jobs;
using PinsDaemon.Contracts;
using PinsDaemon.Host.Endpoints;

namespace PinsDaemon.Host.HostStatus;

/// <summary>
/// <c>POST /reboot</c> schedules a reboot in one minute (<c>shutdown -r +1</c>, with a wall
/// message); <c>DELETE /reboot</c> cancels it. Off unless <c>Host:AllowReboot</c>; refused while
/// a job runs, and no job starts while a reboot is scheduled. Both go through the root script's
/// own fixed sudoers forms, and both are audited.
/// </summary>
internal static class RebootEndpoints
{
    public static IEndpointRouteBuilder MapReboot(this IEndpointRouteBuilder app)
    {
        var reboot = app.MapGroup("/reboot").WithTags("Host");
        reboot.MapPost("/", (HttpContext context, IOptions<HostStatusOptions> options, IRequiredActor<JobSupervisor> jobs, ILoggerFactory loggers, CancellationToken ct) =>
                RequestAsync(context, cancel: false, options, jobs, loggers, ct))
            .WithSummary("Reboot the machine in one minute (Host:AllowReboot); refused while a job runs")
            .Produces<RebootStatus>(StatusCodes.Status202Accepted);
        reboot.MapDelete("/", (HttpContext context, IOptions<HostStatusOptions> options, IRequiredActor<JobSupervisor> jobs, ILoggerFactory loggers, CancellationToken ct) =>
                RequestAsync(context, cancel: true, options, jobs, loggers, ct))
            .WithSummary("Cancel a scheduled reboot")
            .Produces<RebootStatus>(StatusCodes.Status200OK);
        return app;
    }

    private static async Task<IResult> RequestAsync(
        HttpContext context,
        bool cancel,
        IOptions<HostStatusOptions> options,
        IRequiredActor<JobSupervisor> jobs,
        ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        var audit = loggers.CreateLogger(Audit.Category);
        var client = Audit.Client(context);
        var action = cancel ? "Reboot cancel" : "Reboot";
        if (!options.Value.AllowReboot)
        {
            audit.LogWarning("{Action} refused for {Client}: Host:AllowReboot is off", action, client);
            return TypedResults.Problem(
                statusCode: StatusCodes.Status403Forbidden,
                title: "Reboots are turned off",
                detail: "This daemon does not reboot its machine: set Host:AllowReboot=true in its settings to allow it.");
        }

        switch (await jobs.ActorRef.TryAskAsync<JobProtocol.IRebootReply>(new JobProtocol.RequestReboot(cancel), cancellationToken))
        {
            case JobProtocol.RebootDone done:
                audit.LogInformation("{Action} accepted for {Client}: reboot at {RebootAt}", action, client, done.RebootAt?.ToString("u") ?? "none");
                var status = new RebootStatus(done.RebootAt);
                return cancel ? TypedResults.Ok(status) : TypedResults.Accepted("/host", status);
            case JobProtocol.RebootRefused refused:
                audit.LogWarning("{Action} refused for {Client}: {Reason}", action, client, refused.Reason);
                return TypedResults.Problem(
                    statusCode: StatusCodes.Status409Conflict,
                    title: cancel ? "The reboot cannot be cancelled now" : "The machine cannot be rebooted now",
                    detail: refused.Reason,
                    extensions: refused.RunningJobId is { } running ? new Dictionary<string, object?> { ["jobId"] = running.ToString() } : null);
            case JobProtocol.RebootFailed failed:
                audit.LogError("{Action} failed for {Client}: exit code {ExitCode}", action, client, failed.ExitCode);
                return TypedResults.Problem(
                    statusCode: StatusCodes.Status500InternalServerError,
                    title: cancel ? "The reboot could not be cancelled" : "The reboot could not be scheduled",
                    detail: $"The root script exited with code {failed.ExitCode}: {Audit.LogSafe(failed.Output, 300)}");
            default:
                audit.LogError("{Action} failed for {Client}: the job supervisor did not answer", action, client);
                return ApiProblems.Unavailable();
        }
    }
}
