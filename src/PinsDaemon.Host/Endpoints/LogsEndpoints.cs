using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.Options;
using PinsDaemon.Actors.Jobs;
using PinsDaemon.Actors.Logs;
using PinsDaemon.Actors.Streaming;
using PinsDaemon.Contracts;
using PinsDaemon.Host.Auth;
using PinsDaemon.Host.Configuration;
using PinsDaemon.Host.Streaming;

namespace PinsDaemon.Host.Endpoints;

internal static class LogsEndpoints
{
    public static IEndpointRouteBuilder MapLogs(this IEndpointRouteBuilder app)
    {
        // Map, not MapGet: WebSockets over HTTP/2 arrive as CONNECT requests.
        app.Map("/logs/" + JobRoute.Template, StreamLogsAsync)
            .AcceptQueryCredentials(context => JobRoute.TryGet(context, out var jobId) ? ApiPaths.Logs(jobId) : null);
        return app;
    }

    private static async Task<IResult> StreamLogsAsync(
        HttpContext context,
        JobId jobId,
        IRequiredActor<JobSupervisor> jobs,
        LogConnectionLimiter limiter,
        IOptions<AuthOptions> auth,
        IOptions<StreamingOptions> streaming,
        IHostApplicationLifetime lifetime,
        ILoggerFactory loggers,
        Metrics.PinsMetrics metrics)
    {
        if (!QueryNumbers.TryGet(context.Request.Query, "after", 0, 0, long.MaxValue, out var after))
        {
            return ApiProblems.BadRequest(
                "Invalid 'after'",
                "'after' is the last seq the client already has: a whole number, 0 or more. Omit it to get every line.");
        }

        var batch = context.Request.Query["batch"];
        if (batch.Count > 1 || (batch.Count == 1 && batch[0] is not ("true" or "false")))
        {
            return ApiProblems.BadRequest("Invalid 'batch'", "'batch' is true (several lines per frame, as {\"type\":\"lines\",\"lines\":[...]}) or false (one line per frame, the default).");
        }

        var batchFrames = batch.Count == 1 && batch[0] == "true";

        if (!context.WebSockets.IsWebSocketRequest)
        {
            return ApiProblems.BadRequest(
                "WebSocket required",
                $"/logs/{jobId} streams over a WebSocket. Connect with a WebSocket client; GET /jobs/{jobId}/log pages the same lines over HTTP.");
        }

        if (LogStreamAccess.RefuseForeignOrigin(context, auth.Value) is { } foreign)
        {
            return foreign;
        }

        if (LogStreamAccess.RefuseOverLimit(limiter.TryAcquire(Audit.Client(context), out var lease), ", or poll GET /jobs/{id}/log") is { } full)
        {
            return full;
        }

        using (lease)
        {
            // One ask per socket: the job's log spawns the connection's subscriber, or the
            // supervisor says there is no such job (404 before the upgrade). The subscriber may
            // start filling the bounded buffer while the socket is accepted.
            var buffer = new LogStreamBuffer(stallTimeout: TimeSpan.FromSeconds(streaming.Value.StallTimeoutSeconds));
            var ct = context.RequestAborted;
            switch (await jobs.ActorRef.TryAskAsync<LogProtocol.IOpenLogStreamReply>(new LogProtocol.OpenLogStream(jobId, after, buffer), ct))
            {
                case JobProtocol.JobNotFound:
                    return ApiProblems.JobNotFound(jobId);
                case not LogProtocol.LogStreamOpened:
                    return ApiProblems.Unavailable();
                case LogProtocol.LogStreamOpened opened:
                    var logger = loggers.CreateLogger("PinsDaemon.Host.Streaming.LogSocketSession");
                    try
                    {
                        using var socket = await context.WebSockets.AcceptWebSocketAsync();
                        logger.LogDebug("Log stream for job {JobId} opened after seq {After}", jobId, after);
                        var session = new LogSocketSession(socket, buffer, logger, batchFrames, context.Features.Get<CoalescingStream>(), metrics.RecordLinesStreamed);
                        await session.RunAsync(lifetime.ApplicationStopping, ct);
                    }
                    finally
                    {
                        // The subscriber was made for this socket: it ends with it.
                        opened.Subscriber.Tell(PoisonPill.Instance);
                        logger.LogDebug("Log stream for job {JobId} closed", jobId);
                    }

                    break;
            }
        }

        return Results.Empty;
    }
}
