using PinsDaemon.Actors.Jobs;

namespace PinsDaemon.Host.Endpoints;

/// <summary>The answer to <c>POST /upgrade</c>.</summary>
public sealed record JobAccepted(string JobId, string Status, bool DryRun, string StatusUrl, string LogsUrl);

/// <summary>The answer to <c>POST /jobs/{id}/ticket</c>.</summary>
public sealed record TicketResponse(string Ticket, DateTimeOffset ExpiresAt, string LogsUrl);

internal static class ApiPaths
{
    public static string Job(JobId id) => $"/jobs/{id}";

    public static string Logs(JobId id) => $"/logs/{id}";
}
