namespace PinsDaemon.Host.Endpoints;

/// <summary>The audit trail: every attempt to start or cancel a job, in the log category operators filter on.</summary>
internal static class Audit
{
    public const string Category = "PinsDaemon.Audit";

    /// <summary>The client's address as the audit records it: never a header value, never a credential.</summary>
    public static string Client(HttpContext context) =>
        context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
}
