namespace PinsDaemon.Actors.Jobs;

/// <summary>Where a job is in its life. Only <see cref="Running"/> is not final.</summary>
public enum JobStatus
{
    Running,
    Succeeded,
    Failed,
}

public static class JobStatusExtensions
{
    public static bool IsFinal(this JobStatus status) => status != JobStatus.Running;
}
