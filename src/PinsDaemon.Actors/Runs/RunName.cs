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

/// <summary>
/// What a run does beyond its mode: the fixed words after <c>--dry-run</c> or <c>--apply</c>,
/// in the order the root script and sudoers take them. Nothing but these constants reaches the
/// script's command line.
/// </summary>
public sealed record RunOptions(bool FullUpgrade, bool Autoremove)
{
    public static readonly RunOptions Default = new(false, false);

    public IReadOnlyList<string> Words => (FullUpgrade, Autoremove) switch
    {
        (false, false) => [],
        (true, false) => ["--full-upgrade"],
        (false, true) => ["--autoremove"],
        (true, true) => ["--full-upgrade", "--autoremove"],
    };

    /// <summary>The options of a job as the API states them.</summary>
    public static RunOptions Of(JobSnapshot job) => new(job.Mode == UpgradeModes.FullUpgrade, job.Autoremove);
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
