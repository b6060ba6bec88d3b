using Akka.Actor;
using Akka.Hosting;
using PinsDaemon.Actors.Jobs;
using PinsDaemon.Actors.Streaming;
using PinsDaemon.Host.Streaming;

namespace PinsDaemon.Host.Endpoints;

internal static class LogsEndpoints
{
    public static IEndpointRouteBuilder MapLogs(this IEndpointRouteBuilder app)
    {
        // Map, not MapGet: WebSockets over HTTP/2 arrive as CONNECT requests.
        app.Map("/logs/{jobId}", StreamLogsAsync);
        return app;
    }

    private static async Task<IResult> StreamLogsAsync(
        HttpContext context,
        string jobId,
        IRequiredActor<JobSupervisor> jobs,
        IHostApplicationLifetime lifetime,
        ILoggerFactory loggers)
    {
        if (!JobId.TryParse(jobId, out var id))
        {
            return ApiProblems.InvalidJobId();
        }

        if (!QueryNumbers.TryGet(context.Request.Query, "after", 0, 0, long.MaxValue, out var after))
        {
            return ApiProblems.BadRequest(
                "Invalid 'after'",
                "'after' is the last seq the client already has: a whole number, 0 or more. Omit it to get every line.");
        }

        if (!context.WebSockets.IsWebSocketRequest)
        {
            return ApiProblems.BadRequest(
                "WebSocket required",
                $"/logs/{id} streams over a WebSocket. Connect with a WebSocket client; GET /jobs/{id} gives the status.");
        }

        var supervisor = jobs.ActorRef;
        var ct = context.RequestAborted;
        switch (await supervisor.TryAskAsync(new JobProtocol.GetJob(id), ct))
        {
            case JobProtocol.JobNotFound:
                return ApiProblems.JobNotFound(id);
            case not JobProtocol.JobFound:
                return ApiProblems.Unavailable();
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var logger = loggers.CreateLogger("PinsDaemon.Host.Streaming.LogSocketSession");
        var buffer = new LogStreamBuffer();
        if (await supervisor.TryAskAsync(new JobProtocol.OpenLogStream(id, after, buffer), ct) is not JobProtocol.LogStreamOpened opened)
        {
            buffer.Close(LogStreamClosedReason.JobGone);
            await new LogSocketSession(socket, buffer, logger).RunAsync(lifetime.ApplicationStopping, ct);
            return Results.Empty;
        }

        logger.LogDebug("Log stream for job {JobId} opened after seq {After}", id, after);
        try
        {
            await new LogSocketSession(socket, buffer, logger).RunAsync(lifetime.ApplicationStopping, ct);
        }
        finally
        {
            opened.Subscriber.Tell(PoisonPill.Instance);
            logger.LogDebug("Log stream for job {JobId} closed", id);
        }

        return Results.Empty;
    }
}
