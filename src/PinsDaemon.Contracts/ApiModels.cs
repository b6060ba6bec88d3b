namespace PinsDaemon.Contracts;

/// <summary>The answer to <c>POST /upgrade</c>.</summary>
public sealed record JobAccepted(string JobId, string Status, bool DryRun, string StatusUrl, string LogsUrl);

/// <summary>The answer to <c>POST /jobs/{id}/ticket</c>.</summary>
public sealed record TicketResponse(string Ticket, DateTimeOffset ExpiresAt, string LogsUrl);

/// <summary>The API's paths for one job, as its answers link them.</summary>
public static class ApiPaths
{
    public static string Job(JobId id) => $"/jobs/{id}";

    public static string Logs(JobId id) => $"/logs/{id}";

    /// <summary><c>GET</c>: the log in pages (<c>?after=N&amp;limit=M</c>; a <c>Link: rel="next"</c> header points at the rest).</summary>
    public static string Log(JobId id) => $"/jobs/{id}/log";
}
