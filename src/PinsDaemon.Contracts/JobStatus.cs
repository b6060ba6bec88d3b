namespace PinsDaemon.Contracts;

/// <summary>Where a job is in its life. Only <see cref="Running"/> is not final.</summary>
public enum JobStatus
{
    Running,
    Succeeded,
    Failed,

    /// <summary>The daemon stopped or crashed while the job ran; what happened after is unknown.</summary>
    Interrupted,

    /// <summary>Stopped on request before dpkg changed anything.</summary>
    Cancelled,

    /// <summary>Stopped because it ran longer than <c>Upgrade:Timeout</c>.</summary>
    TimedOut,
}

public static class JobStatusExtensions
{
    public static bool IsFinal(this JobStatus status) => status != JobStatus.Running;
}
