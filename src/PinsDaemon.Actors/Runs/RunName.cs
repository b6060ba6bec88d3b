using PinsDaemon.Contracts;

namespace PinsDaemon.Actors.Runs;

/// <summary>
/// One run's name, <c>MODE-ID</c> (<c>dry-run-…</c> or <c>apply-…</c>): the same text names the
/// job, the unit <c>pinsdaemon-upgrade@MODE-ID.service</c> and the run's files.
/// </summary>
public readonly record struct RunName(bool DryRun, JobId JobId)
{
    public string Mode => DryRun ? "dry-run" : "apply";

    public string UnitName => $"pinsdaemon-upgrade@{this}.service";

    public override string ToString() => $"{Mode}-{JobId}";
}

/// <summary>The files of one run in a runs directory (see the top of ops/system-upgrade.sh).</summary>
public sealed record RunFiles(string Directory, RunName Name)
{
    public string Out => PathOf("out");

    public string Err => PathOf("err");

    public string Status => PathOf("status");

    public string Run => PathOf("run");

    public string Exit => PathOf("exit");

    private string PathOf(string extension) => Path.Combine(Directory, $"{Name}.{extension}");
}
