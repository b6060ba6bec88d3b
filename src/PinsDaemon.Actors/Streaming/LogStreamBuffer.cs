using System.Threading.Channels;
 

namespace PinsDaemon.Actors.Streaming;

/// <summary>
/// The hand-off between one <see cref="LogSubscriber"/> (single writer) and one connection's
/// send loop (single reader). Bounded by lines held, so a reader that stalls costs a fixed
/// amount of memory; the subscriber then drops it instead of slowing the job.
/// </summary>
public sealed class LogStreamBuffer
{
    /// <summary>
    /// 512 KiB of lines per connection. A reader that falls further behind is not dropped: it
    /// catches up from the job's window or the stored log, so this only bounds memory, and a
    /// hundred connections cost at most ~50 MiB.
    /// </summary>
    public const long DefaultMaxWeight = 512 * 1024;

    private readonly Channel<StreamProtocol.LogBatch> _channel = Channel.CreateUnbounded<StreamProtocol.LogBatch>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

    private readonly long _maxWeight;
    private readonly object _spaceGate = new();
    private long _weight;
    private TaskCompletionSource? _spaceWaiter;
    private StreamProtocol.LogEnd? _end;
    private LogStreamClosedReason? _closedReason;

    /// <summary>A connection that takes nothing for this long while lines wait is closed as too slow.</summary>
    public static readonly TimeSpan DefaultStallTimeout = TimeSpan.FromSeconds(30);

    public LogStreamBuffer(long maxWeight = DefaultMaxWeight, TimeSpan? stallTimeout = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxWeight, 1);
        _maxWeight = maxWeight;
        StallTimeout = stallTimeout ?? DefaultStallTimeout;
    }

    public TimeSpan StallTimeout { get; }

    /// <summary>The job's end, once the subscriber has queued every line before it.</summary>
    public StreamProtocol.LogEnd? End => Volatile.Read(ref _end);

    /// <summary>Why the stream stopped early, if it did.</summary>
    public LogStreamClosedReason? ClosedReason => Volatile.Read(ref _closedReason);

    /// <summary>Lines queued and not yet <see cref="Consumed"/>, in weight units (about bytes).</summary>
    public long Weight => Interlocked.Read(ref _weight);

    /// <summary>True once the stream has ended or was closed: nothing more can be queued.</summary>
    public bool IsClosed => Volatile.Read(ref _end) is not null || Volatile.Read(ref _closedReason) is not null;

    public ChannelReader<StreamProtocol.LogBatch> Reader => _channel.Reader;

    /// <summary>
    /// Queues a batch unless that would pass the bound. An empty buffer always takes one batch,
    /// so a single large batch can never wedge the stream.
    /// </summary>
    public bool TryWrite(StreamProtocol.LogBatch batch)
    {
        var weight = batch.Weight;
        var current = Interlocked.Read(ref _weight);
        if (current > 0 && current + weight > _maxWeight)
        {
            return false;
        }

        if (!_channel.Writer.TryWrite(batch))
        {
            return false;
        }

        Interlocked.Add(ref _weight, weight);
        return true;
    }

    /// <summary>Completes when the reader has drained the buffer to half its bound.</summary>
    public Task WhenSpaceAsync()
    {
        lock (_spaceGate)
        {
            if (Interlocked.Read(ref _weight) <= _maxWeight / 2 || _channel.Reader.Completion.IsCompleted)
            {
                return Task.CompletedTask;
            }

            _spaceWaiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _spaceWaiter.Task;
        }
    }

    /// <summary>Called by the reader once it has sent a batch.</summary>
    public void Consumed(StreamProtocol.LogBatch batch)
    {
        var left = Interlocked.Add(ref _weight, -batch.Weight);
        if (left <= _maxWeight / 2)
        {
            ReleaseWaiter();
        }
    }

    /// <summary>The job ended: the reader sends what is queued, then the end.</summary>
    public void Complete(StreamProtocol.LogEnd end)
    {
        Volatile.Write(ref _end, end);
        _channel.Writer.TryComplete();
    }

    /// <summary>The stream stops early; the reader closes the connection with a code for <paramref name="reason"/>.</summary>
    public void Close(LogStreamClosedReason reason)
    {
        if (End is not null)
        {
            // The end is already queued: the stream is complete, not cut short.
            return;
        }

        Interlocked.CompareExchange(ref _closedReason, reason, null);
        _channel.Writer.TryComplete();
        ReleaseWaiter();
    }

    private void ReleaseWaiter()
    {
        TaskCompletionSource? waiter;
        lock (_spaceGate)
        {
            waiter = _spaceWaiter;
            _spaceWaiter = null;
        }

        waiter?.TrySetResult();
    }
}

/// <summary>Why a log stream ended before the job's end.</summary>
public sealed record LogStreamClosedReason(LogStreamClosedKind Kind, string Message)
{
    public static readonly LogStreamClosedReason TooSlow = new(
        LogStreamClosedKind.TooSlow,
        "client stopped reading: reconnect with ?after=<last seq received>");

    public static readonly LogStreamClosedReason JobGone = new(LogStreamClosedKind.JobGone, "the job is no longer available");

    public static readonly LogStreamClosedReason ShuttingDown = new(LogStreamClosedKind.ShuttingDown, "the daemon is shutting down");
}

public enum LogStreamClosedKind
{
    TooSlow,
    JobGone,
    ShuttingDown,
}
