using System.Collections.Concurrent;
using PinsDaemon.Actors.Jobs;
using PinsDaemon.Actors.Processes;
using PinsDaemon.Contracts;

namespace PinsDaemon.Actors.Tests.TestSupport;

/// <summary>A launcher whose processes the test drives: it emits lines and decides the exit.</summary>
public sealed class FakeProcessLauncher : IProcessLauncher
{
    private readonly ConcurrentQueue<FakeProcess> _started = new();
    private int _startCount;

    /// <summary>When set, <see cref="Start"/> throws this, as a missing script would.</summary>
    public Exception? FailStartWith { get; set; }

    public int StartCount => Volatile.Read(ref _startCount);

    public IReadOnlyList<UpgradeCommand> Commands => _started.Select(p => p.Command).ToArray();

    public IUpgradeProcess Start(UpgradeCommand command, Func<IReadOnlyList<OutputLine>, ValueTask> onOutput)
    {
        Interlocked.Increment(ref _startCount);
        if (FailStartWith is not null)
        {
            throw FailStartWith;
        }

        var process = new FakeProcess(command, onOutput);
        _started.Enqueue(process);
        return process;
    }

    /// <summary>The most recently started process, waiting for it if needed.</summary>
    public async Task<FakeProcess> LatestAsync(int count = 1)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (_started.Count < count)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"expected {count} started processes, saw {_started.Count}");
            }

            await Task.Delay(10);
        }

        return _started.ElementAt(count - 1);
    }
}

public sealed class FakeProcess(UpgradeCommand command, Func<IReadOnlyList<OutputLine>, ValueTask> onOutput) : IUpgradeProcess
{
    private readonly TaskCompletionSource<int> _exit = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _terminated;

    public UpgradeCommand Command { get; } = command;

    public bool Terminated => Volatile.Read(ref _terminated) > 0;

    public Task<int> Completion => _exit.Task;

    public void Stdout(params string[] lines) => onOutput(lines.Select(l => new OutputLine(LogStream.Stdout, l)).ToArray()).AsTask().Wait();

    public void Stderr(params string[] lines) => onOutput(lines.Select(l => new OutputLine(LogStream.Stderr, l)).ToArray()).AsTask().Wait();

    /// <summary>Delivers a broken batch, making the job actor throw while handling it.</summary>
    public void Corrupt() => onOutput([new OutputLine(LogStream.Stdout, null!)]).AsTask().Wait();

    public void Exit(int code) => _exit.TrySetResult(code);

    public void Terminate() => Interlocked.Increment(ref _terminated);

    public void Dispose()
    {
    }
}
