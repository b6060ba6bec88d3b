using PinsDaemon.Contracts;

namespace PinsDaemon.Cli;

/// <summary>
/// How pins ends: a contract scripts rely on, printed at the end of every <c>--help</c>.
/// </summary>
internal static class ExitCodes
{
    public const int Succeeded = 0;

    /// <summary>The job failed, a host of the rollout failed or was unreachable, or the daemon refused the request (a job already running, no such job, a cancel too late).</summary>
    public const int Failed = 1;

    /// <summary>The job or the rollout was cancelled, the job interrupted or timed out; or the user declined the apply.</summary>
    public const int Stopped = 2;

    /// <summary>The job succeeded and the host needs a reboot; only with <c>--exit-reboot</c>.</summary>
    public const int RebootRequired = 3;

    /// <summary>The token was refused, or the host's certificate is not the one pinned.</summary>
    public const int AuthenticationRefused = 4;

    public const int Unreachable = 5;

    /// <summary>EX_USAGE from sysexits.h: the command line, the environment or the hosts file is wrong.</summary>
    public const int Usage = 64;

    /// <summary>Ctrl+C: the shell's convention, 128 + SIGINT. The job itself goes on.</summary>
    public const int Interrupted = 130;

    public const string HelpText = """
        Exit codes:
          0    the job succeeded, or every host of the rollout did (or the command did what it was
               asked; show and logs of a running job, fleet rollout show of a running rollout)
          1    the job failed, a host of the rollout failed or was unreachable, or the daemon
               refused the request
          2    the job or the rollout was cancelled, the job interrupted or timed out (or you
               declined the upgrade)
          3    the job succeeded and the host needs a reboot (only with --exit-reboot)
          4    authentication refused: a wrong token, or the host's certificate changed
          5    the daemon is unreachable
          64   usage error: the command line, PINS_URL/PINS_TOKEN/PINS_TOKEN_FILE or the hosts file
          130  interrupted with Ctrl+C (the job or the rollout goes on)
        """;

    /// <summary>
    /// What a rollout's outcome means for the exit code: 0 when every host succeeded, 1 when one
    /// failed or was unreachable (within <c>maxFailures</c> or not), 2 when it was cancelled. A
    /// rollout still running or paused counts as 0 (it has not ended).
    /// </summary>
    public static int ForRollout(RolloutView rollout) => rollout.Status switch
    {
        RolloutStatus.Running or RolloutStatus.Paused => Succeeded,
        RolloutStatus.Cancelled => Stopped,
        RolloutStatus.Completed when rollout.Failures == 0 => Succeeded,
        _ => Failed,
    };

    /// <summary>What a job's outcome means for the exit code; a job still running counts as 0 (nothing went wrong yet).</summary>
    public static int ForJob(JobStatus status, bool? rebootRequired, bool exitReboot) => status switch
    {
        JobStatus.Running => Succeeded,
        JobStatus.Succeeded => exitReboot && rebootRequired == true ? RebootRequired : Succeeded,
        JobStatus.Failed => Failed,
        JobStatus.Cancelled or JobStatus.Interrupted or JobStatus.TimedOut => Stopped,
        _ => Failed,
    };
}
