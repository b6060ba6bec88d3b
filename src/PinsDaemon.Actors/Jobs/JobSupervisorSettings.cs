namespace PinsDaemon.Actors.Jobs;

/// <summary>How the supervisor runs jobs (through sudo or not, time limits) and how many it keeps.</summary>
public sealed record JobSupervisorSettings(bool UseSudo, int MaxJobs = JobSupervisorSettings.DefaultMaxJobs)
{
    public const int DefaultMaxJobs = 100;

    /// <summary>A run still going after this is stopped the safe way (never during dpkg) and ends <c>timedOut</c>.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromHours(2);

    /// <summary>A run with no output for this long gets a warning in its status (it is probably waiting on a lock).</summary>
    public TimeSpan IdleWarning { get; init; } = TimeSpan.FromMinutes(5);
}
