namespace PinsDaemon.Contracts;

/// <summary>The body of <c>POST /upgrade</c>: <c>{"dryRun": true}</c> or <c>{"dryRun": false}</c>, with <c>mode</c> and <c>autoremove</c> optional.</summary>
public sealed record UpgradeRequest(bool DryRun)
{
    /// <summary><c>upgrade</c> (the default) or <c>full-upgrade</c> (<see cref="UpgradeModes"/>).</summary>
    public string Mode { get; init; } = UpgradeModes.Upgrade;

    /// <summary>Run <c>apt-get autoremove</c> after a successful apply; a dry run shows what it would remove.</summary>
    public bool Autoremove { get; init; }
}

/// <summary>The answer to <c>POST /upgrade</c>.</summary>
public sealed record JobAccepted(string JobId, string Status, bool DryRun, string StatusUrl, string LogsUrl)
{
    /// <summary><c>upgrade</c> or <c>full-upgrade</c>, as <see cref="JobSnapshot.Mode"/>.</summary>
    public string Mode { get; init; } = UpgradeModes.Upgrade;

    public bool Autoremove { get; init; }
}

/// <summary>The answer to <c>POST /jobs/{id}/ticket</c>.</summary>
public sealed record TicketResponse(string Ticket, DateTimeOffset ExpiresAt, string LogsUrl);

/// <summary>
/// An error answer (<c>application/problem+json</c>) as a client reads it: <paramref name="Detail"/>
/// says what to do; <paramref name="JobId"/> names the job concerned when there is one (the job
/// already running on a 409 to <c>POST /upgrade</c>, the job on a refused cancel);
/// <paramref name="Code"/> and <paramref name="RolloutId"/> are the fleet's (<see cref="RolloutProblemCodes"/>).
/// </summary>
public sealed record ApiProblem(string? Title, string? Detail, int? Status, string? JobId, string? Code = null, string? RolloutId = null);

/// <summary>The API's paths, as its answers link them.</summary>
public static class ApiPaths
{
    public const string Upgrade = "/upgrade";

    public const string Jobs = "/jobs";

    /// <summary>The page's session: <c>POST</c> signs in, <c>GET</c> reads it, <c>DELETE</c> signs out.</summary>
    public const string Session = "/session";

    /// <summary><c>POST</c> reboots the machine in one minute, <c>DELETE</c> cancels that.</summary>
    public const string Reboot = "/reboot";

    public static string Job(JobId id) => $"/jobs/{id}";

    /// <summary><c>GET</c>: the log's lines as a JSON array, a page at a time (<c>?after=N&amp;limit=M</c>; a <c>Link: rel="next"</c> header points at the rest).</summary>
    public static string JobLog(JobId id) => $"/jobs/{id}/log";

    public static string Cancel(JobId id) => $"/jobs/{id}/cancel";

    /// <summary>The log WebSocket (<c>?after=N</c>, <c>?batch=true</c>).</summary>
    public static string Logs(JobId id) => $"/logs/{id}";
}

/// <summary>The answer to <c>POST /session</c> and <c>GET /session</c>: the value of the <c>X-CSRF-Token</c> header.</summary>
public sealed record SessionResponse(string CsrfToken);
