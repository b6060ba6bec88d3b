namespace PinsDaemon.Contracts;

/// <summary>
/// One attempt to act on a job: who (client address, never a credential), when, what, and how
/// it was answered. Kept on the job and written to the daemon's log.
/// </summary>
public sealed record AuditEntry(DateTimeOffset Time, string Client, string Action, string Outcome)
{
    /// <summary>Entries kept per job: a client hammering a running job must not grow its record without bound.</summary>
    public const int MaxPerJob = 50;
}
