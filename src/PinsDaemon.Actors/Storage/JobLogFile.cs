using System.Diagnostics;
using System.Threading.Channels;
using PinsDaemon.Actors.Jobs;
using PinsDaemon.Contracts;

namespace PinsDaemon.Actors.Storage;

/// <summary>
/// One job's log on disk, <c>log.jsonl</c>: each line is exactly the WebSocket frame of a log
/// line, so it is written without re-serialising and read with standard tools
/// (<c>jq -r .text log.jsonl</c>). Appends run on a background task, never on an actor's thread.
/// Reads seek through a sparse in-memory index of line offsets.
/// </summary>
public sealed class JobLogFile
{
    public const string FileName = "log.jsonl";

    /// <summary>One index entry per 1024 lines: a million-line log costs ~8 KiB of index.</summary>
    internal const int IndexStride = 1024;

    /// <summary>Output is handed to the kernel after every burst; fsync'ed at most once a second, and at the end.</summary>
    private static readonly TimeSpan SyncInterval = TimeSpan.FromSeconds(1);

    /// <summary>A stored frame is at most the 64 KiB line cap, JSON-escaped; anything longer is not ours.</summary>
    private const int MaxStoredLineBytes = 1024 * 1024;

    private static readonly byte[] Newline = [(byte)'\n'];

    private readonly string _path;
    private readonly object _indexGate = new();
    private readonly List<long> _index = [];
    private readonly Channel<object>? _pending;
    private readonly Task _writer = Task.CompletedTask;
    private readonly Action<JobSnapshot>? _writeMeta;
    private readonly Action<string>? _onFailure;
    private readonly Action<long>? _onWritten;
    private string? _failure;

    private JobLogFile(string path) => _path = path;

    private JobLogFile(string path, Stream output, Action<JobSnapshot> writeMeta, Action<string> onFailure, Action<long> onWritten)
        : this(path)
    {
        _writeMeta = writeMeta;
        _onFailure = onFailure;
        _onWritten = onWritten;
        _pending = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        _writer = Task.Run(() => WriteLoopAsync(output));
    }

    /// <summary>Why the stored log is incomplete, if it is.</summary>
    public string? Failure => Volatile.Read(ref _failure);

    /// <param name="onWritten">Called with the weight of each batch once it is in the kernel (or dropped after a failure).</param>
    internal static JobLogFile ForAppend(string path, Stream output, Action<JobSnapshot> writeMeta, Action<string> onFailure, Action<long> onWritten) =>
        new(path, output, writeMeta, onFailure, onWritten);

    internal static JobLogFile ForRead(string path) => new(path);

    /// <summary>
    /// Queues lines for the disk. Never blocks; false once the stored log is incomplete (the
    /// caller then owns the lines' weight again).
    /// </summary>
    public bool Append(IReadOnlyList<LogLine> lines) =>
        _pending is not null && Failure is null && _pending.Writer.TryWrite(lines);

    /// <summary>Queues the job's metadata, written after every line queued before it.</summary>
    public void WriteMeta(JobSnapshot snapshot) => _pending?.Writer.TryWrite(snapshot);

    /// <summary>Writes what is queued, syncs it to disk and closes the file.</summary>
    public Task CompleteAsync()
    {
        _pending?.Writer.TryComplete();
        return _writer;
    }

    /// <summary>Up to <paramref name="max"/> consecutive lines after <paramref name="after"/>, read from disk.</summary>
    public Task<IReadOnlyList<LogLine>> ReadAsync(long after, int max) => Task.Run(() => Read(after, max));

    /// <summary>The last complete line's seq, scanning the whole file (and indexing it on the way).</summary>
    public long ScanLastSeq()
    {
        long last = 0;
        Scan(StartOffsetFor(1), (line, _) =>
        {
            last = line.Seq;
            return true;
        });
        return last;
    }

    private IReadOnlyList<LogLine> Read(long after, int max)
    {
        var lines = new List<LogLine>();
        Scan(StartOffsetFor(after + 1), (line, _) =>
        {
            if (line.Seq > after)
            {
                lines.Add(line);
            }

            return lines.Count < max;
        });
        return lines;
    }

    private long StartOffsetFor(long seq)
    {
        var block = (int)Math.Min(int.MaxValue, (Math.Max(seq, 1) - 1) / IndexStride);
        lock (_indexGate)
        {
            return _index.Count == 0 ? 0 : _index[Math.Min(block, _index.Count - 1)];
        }
    }

    private void AddToIndex(long seq, long offset)
    {
        if ((seq - 1) % IndexStride != 0)
        {
            return;
        }

        lock (_indexGate)
        {
            if ((seq - 1) / IndexStride == _index.Count)
            {
                _index.Add(offset);
            }
        }
    }

    /// <summary>
    /// Visits every complete, well-formed line from <paramref name="offset"/>. A line cut short by
    /// a crash (no newline) or garbled is skipped, never fatal.
    /// </summary>
    private void Scan(long offset, Func<LogLine, long, bool> visit)
    {
        FileStream file;
        try
        {
            file = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
        }
        catch (FileNotFoundException)
        {
            return;
        }
        catch (DirectoryNotFoundException)
        {
            return;
        }

        using (file)
        {
            file.Seek(offset, SeekOrigin.Begin);
            var buffer = new byte[64 * 1024];
            var filled = 0;
            var bufferOffset = offset;
            var skippingOversized = false;
            while (true)
            {
                if (filled == buffer.Length)
                {
                    if (buffer.Length >= MaxStoredLineBytes)
                    {
                        // Not a line we wrote: drop it up to the next newline.
                        skippingOversized = true;
                        bufferOffset += filled;
                        filled = 0;
                    }
                    else
                    {
                        Array.Resize(ref buffer, buffer.Length * 2);
                    }
                }

                var read = file.Read(buffer, filled, buffer.Length - filled);
                if (read == 0)
                {
                    return;
                }

                filled += read;
                var start = 0;
                while (true)
                {
                    var newline = Array.IndexOf(buffer, (byte)'\n', start, filled - start);
                    if (newline < 0)
                    {
                        break;
                    }

                    var lineOffset = bufferOffset + start;
                    if (skippingOversized)
                    {
                        skippingOversized = false;
                    }
                    else if (LogLine.TryParseFrame(buffer.AsSpan(start, newline - start), out var line))
                    {
                        AddToIndex(line.Seq, lineOffset);
                        if (!visit(line, lineOffset))
                        {
                            return;
                        }
                    }

                    start = newline + 1;
                }

                Buffer.BlockCopy(buffer, start, buffer, 0, filled - start);
                filled -= start;
                bufferOffset += start;
            }
        }
    }

    private async Task WriteLoopAsync(Stream output)
    {
        var reader = _pending!.Reader;
        var lastSync = Stopwatch.GetTimestamp();
        // Index entries are published only once their bytes are flushed: a reader that seeks to
        // an entry must find the line there.
        var unflushedIndex = new List<(long Seq, long Offset)>();
        long unflushedWeight = 0;
        try
        {
            var offset = output.Length;
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (reader.TryRead(out var item))
                {
                    if (Failure is not null)
                    {
                        ReleaseDropped(item);
                        continue;
                    }

                    if (item is JobSnapshot meta)
                    {
                        await output.FlushAsync().ConfigureAwait(false);
                        _writeMeta!(meta);
                        continue;
                    }

                    long weight = 0;
                    foreach (var line in (IReadOnlyList<LogLine>)item)
                    {
                        if ((line.Seq - 1) % IndexStride == 0)
                        {
                            unflushedIndex.Add((line.Seq, offset));
                        }

                        var frame = line.Frame;
                        output.Write(frame.Span);
                        output.Write(Newline);
                        offset += frame.Length + 1;
                        weight += line.Weight;
                    }

                    unflushedWeight += weight;
                }

                if (Failure is not null)
                {
                    continue;
                }

                // Into the kernel after every burst: a daemon crash now loses nothing written so far.
                await output.FlushAsync().ConfigureAwait(false);
                foreach (var (seq, lineOffset) in unflushedIndex)
                {
                    AddToIndex(seq, lineOffset);
                }

                unflushedIndex.Clear();
                _onWritten?.Invoke(unflushedWeight);
                unflushedWeight = 0;
                if (Stopwatch.GetElapsedTime(lastSync) >= SyncInterval)
                {
                    Sync(output);
                    lastSync = Stopwatch.GetTimestamp();
                }
            }

            if (Failure is null)
            {
                await output.FlushAsync().ConfigureAwait(false);
                Sync(output);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            Fail(ex.Message);
            _onWritten?.Invoke(unflushedWeight);
            // Keep draining, giving the weight back, so the job is never held back by a dead disk.
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (reader.TryRead(out var item))
                {
                    ReleaseDropped(item);
                }
            }
        }
        finally
        {
            try
            {
                await output.DisposeAsync().ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                // Disposing flushes what is left: that can fail on a full disk too.
                Fail(ex.Message);
            }
        }
    }

    private void ReleaseDropped(object item)
    {
        if (item is IReadOnlyList<LogLine> lines)
        {
            _onWritten?.Invoke(lines.Sum(static line => (long)line.Weight));
        }
    }

    private static void Sync(Stream output)
    {
        if (output is FileStream file)
        {
            file.Flush(flushToDisk: true);
        }
    }

    /// <summary>Records the first failure and reports it once; later writes are dropped.</summary>
    private void Fail(string reason)
    {
        if (Interlocked.CompareExchange(ref _failure, reason, null) is null)
        {
            _onFailure?.Invoke(reason);
        }
    }
}
