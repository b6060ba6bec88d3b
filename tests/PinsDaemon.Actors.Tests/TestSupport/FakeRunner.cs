using System.Collections.Concurrent;
using PinsDaemon.Actors.Runs;

namespace PinsDaemon.Actors.Tests.TestSupport;

/// <summary>
/// A runner whose runs the test drives: they write real run files (lines, status events, the
/// exit record) in a temporary runs directory, which the job follows as it follows a real run.
/// </summary>
public sealed class FakeRunner(string runsDirectory, bool statusOnStdout = false) : IRunner
{
    private readonly ConcurrentQueue<FakeRun> _started = new();
    private readonly ConcurrentQueue<RunName> _cancels = new();
    private readonly ConcurrentQueue<RunOptions> _options = new();
    private int _launchCount;

    public string RunsDirectory => runsDirectory;

    public bool StatusOnStdout => statusOnStdout;

    public string? Supervisor => RunRecord.Detached;

    public BootIdentity CurrentBoot { get; set; } = new("3b1ad0f2-0c7e-4b5e-9a4c-7f3e2d1c0b9a", 4242);

    /// <summary>When set, launches are refused with this (as sudo or the launcher would).</summary>
    public LaunchResult? RefuseWith { get; set; }

    public int LaunchCount => Volatile.Read(ref _launchCount);

    /// <summary>
    /// How many cancels find no run yet ("no active run", as the launcher answers while the run's
    /// unit or session has not written its record) before one reaches it.
    /// </summary>
    public int CancelsBeforeTheRunExists { get; set; }

    public IReadOnlyList<RunName> Launched => _started.Select(r => r.Name).ToArray();

    public IReadOnlyList<RunName> Cancels => _cancels.ToArray();

    /// <summary>The options of every launch, in order.</summary>
    public IReadOnlyList<RunOptions> LaunchOptions => _options.ToArray();

    public Task<LaunchResult> LaunchAsync(RunName run, RunOptions options, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _launchCount);
        _options.Enqueue(options);
        if (RefuseWith is { } refused)
        {
            return Task.FromResult(refused);
        }

        var files = new RunFiles(runsDirectory, run);
        Directory.CreateDirectory(runsDirectory);
        File.WriteAllBytes(files.Out, []);
        File.WriteAllBytes(files.Err, []);
        File.WriteAllBytes(files.Status, []);
        File.WriteAllText(files.Run, $"supervisor=detached pid=1 boot_id={CurrentBoot.BootId} init_start={CurrentBoot.InitStart} mode={run.Mode} started=0\n");
        _started.Enqueue(new FakeRun(files));
        return Task.FromResult(new LaunchResult(0, string.Empty));
    }

    /// <summary>Reboot requests, in order: false to schedule, true to cancel.</summary>
    public ConcurrentQueue<bool> Reboots { get; } = new();

    public Task<CancelResult> RebootAsync(bool cancel, CancellationToken cancellationToken)
    {
        Reboots.Enqueue(cancel);
        return Task.FromResult(new CancelResult(0, string.Empty));
    }

    public Task<CancelResult> CancelAsync(RunName run, CancellationToken cancellationToken)
    {
        _cancels.Enqueue(run);
        var target = _started.FirstOrDefault(r => r.Name == run);
        if (target is null || !target.Alive || _cancels.Count <= CancelsBeforeTheRunExists)
        {
            return Task.FromResult(new CancelResult(66, "no active run"));
        }

        target.CancelRequested = true;
        return Task.FromResult(new CancelResult(0, string.Empty));
    }

    public Task<RunLiveness> ProbeAsync(RunName run, RunRecord record, CancellationToken cancellationToken) =>
        Task.FromResult(_started.FirstOrDefault(r => r.Name == run)?.Alive is true ? RunLiveness.Alive : RunLiveness.Gone);

    /// <summary>The run started <paramref name="count"/>-th, waiting for it if needed.</summary>
    public async Task<FakeRun> LatestAsync(int count = 1)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (_started.Count < count)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"expected {count} started runs, saw {_started.Count}");
            }

            await Task.Delay(10);
        }

        return _started.ElementAt(count - 1);
    }
}

/// <summary>One fake run: the test writes what a run would write.</summary>
public sealed class FakeRun(RunFiles files)
{
    private readonly object _gate = new();
    private volatile bool _alive = true;
    private volatile bool _cancelRequested;

    public RunName Name => files.Name;

    public RunFiles Files => files;

    public bool Alive => _alive;

    public bool CancelRequested
    {
        get => _cancelRequested;
        set => _cancelRequested = value;
    }

    public void Stdout(params string[] lines) => Append(files.Out, lines);

    public void Stderr(params string[] lines) => Append(files.Err, lines);

    /// <summary>Status events (<c>phase install</c>, <c>plan Inst …</c>, …) in the run's status file.</summary>
    public void Event(params string[] events) => Append(files.Status, events);

    /// <summary>The run ends with <paramref name="code"/>, and its exit record says so.</summary>
    public void Exit(int code) => End($"result={(code == 0 ? "success" : "exit-code")} exit_code=exited exit_status={code}");

    /// <summary>The run is killed by a signal (<c>KILL</c>, <c>TERM</c>).</summary>
    public void Killed(string signal) => End($"result=signal exit_code=killed exit_status={signal}");

    /// <summary>The run vanishes without an exit record.</summary>
    public void Vanish() => _alive = false;

    private void End(string record)
    {
        var temp = files.Exit + ".tmp";
        File.WriteAllText(temp, record + "\n");
        File.Move(temp, files.Exit, overwrite: true);
        _alive = false;
    }

    private void Append(string path, string[] lines)
    {
        lock (_gate)
        {
            using var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            var bytes = System.Text.Encoding.UTF8.GetBytes(string.Concat(lines.Select(l => l + "\n")));
            file.Write(bytes);
        }
    }
}
