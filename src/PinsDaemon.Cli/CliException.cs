using PinsDaemon.Contracts;

namespace PinsDaemon.Cli;

/// <summary>
/// Ends the command with <see cref="ExitCode"/>, printing <see cref="Exception.Message"/> (a
/// sentence a person can act on) on stderr. Every message must be safe to print: no token, and
/// text from the daemon already neutralised.
/// </summary>
internal sealed class CliException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    /// <summary>The failure may pass (the daemon unreachable or busy): <c>--follow</c> tries again.</summary>
    public bool Retryable { get; init; }

    /// <summary>The job the daemon named in its refusal (the one already running, on a 409).</summary>
    public JobId? JobId { get; init; }

    /// <summary>The rollout the daemon named in its refusal (the one that runs or is paused, on a 409).</summary>
    public string? RolloutId { get; init; }

    public static CliException Usage(string message) => new(ExitCodes.Usage, message);
}
