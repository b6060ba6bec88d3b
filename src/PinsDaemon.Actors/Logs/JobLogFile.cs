using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Threading.Channels;
using PinsDaemon.Actors.Runs;
using PinsDaemon.Actors.Streaming;

namespace PinsDaemon.Actors.Logs;

/// <summary>
/// One job's log on disk, <c>log.jsonl</c>: each line is exactly the WebSocket frame of a log
/// line, so it is written without re-serialising and read with standard tools
/// (<c>jq -r .text log.jsonl</c>). Appends run on a background task, never on an actor's thread.
/// Reads seek through a sparse in-memory index of line offsets.
/// </summary>
/// <remarks>
/// After every burst is in the kernel, a checkpoint line is appended to <c>offsets</c>:
/// <c>SEQ LOG-BYTES OUT ERR</c>, the last seq stored, the size of <c>log.jsonl</c> up to it, and
/// how far the run's stdout and stderr files were taken. Lines are published to clients only
/// after their checkpoint, so after a crash the daemon drops any stored line past the last
/// checkpoint and follows the run again from its offsets: no line is lost or numbered twice.
/// </remarks>
public sealed class JobLogFile
{
    public const string FileName = "log.jsonl";

    public const string CheckpointFileName = "offsets";

    /// <summary>Job files are the daemon's alone, whatever its umask.</summary>
    internal const UnixFileMode FileMode600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;

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
    private readonly Action<string>? _onFailure;
    private readonly Action<long>? _onWritten;
    private readonly Action<long>? _onStored;
    private string? _failure;

    private JobLogFile(string path) => _path = path;

    private JobLogFile(string path, Stream output, Stream checkpoints, LogCheckpoint start, Action<string> onFailure, Action<long> onWritten, Action<long> onStored)
        : this(path)
    {
        _onFailure = onFailure;
        _onWritten = onWritten;
        _onStored = onStored;
        // Unbounded as a channel, bounded in fact: what the job appends is bounded by the credit
        // of its OutputGate, which only this writer gives back.
        _pending = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        // A thread of its own: lines are published only once stored, so every line to every
        // client waits on this loop, and on a thread-pool task each of its steps would queue
        // behind the sends to those clients (50 subscribers made a 100k-line job 3× slower).
        _writer = Task.Factory.StartNew(
            () => WriteLoop(output, checkpoints, start),
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
    }

    /// <summary>Why the stored log is incomplete, if it is.</summary>
    public string? Failure => Volatile.Read(ref _failure);

    /// <param name="onWritten">Called with the weight of each batch once it is in the kernel (or dropped after a failure).</param>
    /// <param name="onStored">Called with the last seq in the kernel and checkpointed: lines up to it may be published.</param>
    /// <param name="start">Where the log stands: the last seq stored and the run position after it.</param>
    internal static JobLogFile ForAppend(string path, Stream output, Stream checkpoints, LogCheckpoint start, Action<string> onFailure, Action<long> onWritten, Action<long> onStored) =>
        new(path, output, checkpoints, start, onFailure, onWritten, onStored);

    internal static JobLogFile ForRead(string path) => new(path);

    /// <summary>Opens a job's log in <paramref name="directory"/> for appending, from <paramref name="start"/>.</summary>
    /// <param name="openAppend">Opens a file for appending; a seam for tests that make the disk fail.</param>
    public static JobLogFile Create(string directory, LogCheckpoint start, Func<string, Stream>? openAppend, Action<string> onFailure, Action<long> onWritten, Action<long> onStored)
    {
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        openAppend ??= OpenAppend;
        var path = Path.Combine(directory, FileName);
        var output = openAppend(path);
        try
        {
            return ForAppend(path, output, openAppend(Path.Combine(directory, CheckpointFileName)), start, onFailure, onWritten, onStored);
        }
        catch
        {
            output.Dispose();
            throw;
        }
    }

    /// <summary>Opens a job's log in <paramref name="directory"/> for reading.</summary>
    public static JobLogFile Open(string directory) => ForRead(Path.Combine(directory, FileName));

    /// <summary>
    /// Makes the files in <paramref name="directory"/> agree with their last checkpoint before a
    /// job follows its run again: stored lines past it are dropped (they were never published,
    /// and the run's files still hold them), and so is a checkpoint line cut short by a crash.
    /// </summary>
    public static LogCheckpoint Resume(string directory)
    {
        var checkpoints = Path.Combine(directory, CheckpointFileName);
        var checkpoint = ReadLastCheckpoint(checkpoints) ?? new LogCheckpoint(0, 0, RunPosition.Start);
        TruncateTo(Path.Combine(directory, FileName), checkpoint.LogBytes);
        TruncateTo(checkpoints, LastNewlineEnd(checkpoints));
        return checkpoint;
    }

    private static void TruncateTo(string path, long length)
    {
        if (!File.Exists(path))
        {
            return;
        }

        using var file = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        if (file.Length > length)
        {
            file.SetLength(length);
        }
    }

    private static long LastNewlineEnd(string path)
    {
        if (!File.Exists(path))
        {
            return 0;
        }

        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var tail = (int)Math.Min(file.Length, 4096);
        var bytes = new byte[tail];
        file.Seek(-tail, SeekOrigin.End);
        file.ReadExactly(bytes);
        var last = Array.LastIndexOf(bytes, (byte)'\n');
        return last < 0 ? file.Length - tail : file.Length - tail + last + 1;
    }

    private static Stream OpenAppend(string path) => new FileStream(path, new FileStreamOptions
    {
        Mode = FileMode.Append,
        Access = FileAccess.Write,
        Share = FileShare.Read,
        BufferSize = 64 * 1024,
        UnixCreateMode = FileMode600,
    });

    /// <summary>
    /// Queues lines for the disk. Never blocks; false once the stored log is incomplete (the
    /// caller then owns the lines' weight again).
    /// </summary>
    public bool Append(IReadOnlyList<LogLine> lines, RunPosition after) =>
        _pending is not null && Failure is null && _pending.Writer.TryWrite(new Batch(lines, after));

    /// <summary>Writes what is queued, syncs it to disk and closes the file.</summary>
    public Task CompleteAsync()
    {
        _pending?.Writer.TryComplete();
        return _writer;
    }

    /// <summary>
    /// Up to <paramref name="max"/> consecutive lines after <paramref name="after"/>, read from
    /// disk, and no more than <paramref name="maxBytes"/> of frames (the first line always).
    /// </summary>
    public Task<IReadOnlyList<LogLine>> ReadAsync(long after, int max, long maxBytes) => Task.Run(() => Read(after, max, maxBytes));

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

    private IReadOnlyList<LogLine> Read(long after, int max, long maxBytes)
    {
        var lines = new List<LogLine>();
        long bytes = 0;
        Scan(StartOffsetFor(after + 1), (line, _) =>
        {
            if (line.Seq <= after)
            {
                return true;
            }

            bytes += line.Frame.Length + 1;
            if (lines.Count > 0 && bytes > maxBytes)
            {
                return false;
            }

            lines.Add(line);
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

    private void WriteLoop(Stream output, Stream checkpoints, LogCheckpoint start)
    {
        var reader = _pending!.Reader;
        var lastSync = Stopwatch.GetTimestamp();
        // Index entries are published only once their bytes are flushed: a reader that seeks to
        // an entry must find the line there.
        var unflushedIndex = new List<(long Seq, long Offset)>();
        long unflushedWeight = 0;
        var lastSeq = start.Seq;
        var position = start.Position;
        try
        {
            var offset = output.Length;
            while (WaitToRead(reader))
            {
                var wrote = false;
                while (reader.TryRead(out var item))
                {
                    if (Failure is not null)
                    {
                        ReleaseDropped(item);
                        continue;
                    }

                    var batch = (Batch)item;
                    long weight = 0;
                    foreach (var line in batch.Lines)
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
                        lastSeq = line.Seq;
                    }

                    position = batch.After;
                    unflushedWeight += weight;
                    wrote = true;
                }

                if (Failure is not null || !wrote)
                {
                    continue;
                }

                // Into the kernel after every burst: a daemon crash now loses nothing written so far.
                // The checkpoint follows the lines it covers, never precedes them.
                output.Flush();
                WriteCheckpoint(checkpoints, lastSeq, offset, position);
                foreach (var (seq, lineOffset) in unflushedIndex)
                {
                    AddToIndex(seq, lineOffset);
                }

                unflushedIndex.Clear();
                _onWritten?.Invoke(unflushedWeight);
                unflushedWeight = 0;
                _onStored?.Invoke(lastSeq);

                if (Stopwatch.GetElapsedTime(lastSync) >= SyncInterval)
                {
                    Sync(output);
                    Sync(checkpoints);
                    lastSync = Stopwatch.GetTimestamp();
                }
            }

            if (Failure is null)
            {
                output.Flush();
                Sync(output);
                Sync(checkpoints);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            Fail(ex.Message);
            _onWritten?.Invoke(unflushedWeight);
            // Keep draining, giving the weight back, so the job is never held back by a dead disk.
            while (WaitToRead(reader))
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
                output.Dispose();
                checkpoints.Dispose();
            }
            catch (IOException ex)
            {
                // Disposing flushes what is left: that can fail on a full disk too.
                Fail(ex.Message);
            }
        }
    }

    /// <summary>Blocks the writer's own thread until a batch is queued; false once completed and drained.</summary>
    private static bool WaitToRead(ChannelReader<object> reader)
    {
        var wait = reader.WaitToReadAsync();
        return wait.IsCompleted ? wait.Result : wait.AsTask().GetAwaiter().GetResult();
    }

    private static void WriteCheckpoint(Stream checkpoints, long lastSeq, long logBytes, RunPosition position)
    {
        var line = Encoding.ASCII.GetBytes(string.Create(
            CultureInfo.InvariantCulture, $"{lastSeq} {logBytes} {position.Out} {position.Err}\n"));
        checkpoints.Write(line);
        checkpoints.Flush();
    }

    /// <summary>
    /// The last complete checkpoint in <paramref name="path"/>, or null when there is none (no
    /// line was stored yet). A line cut short by a crash is ignored.
    /// </summary>
    public static LogCheckpoint? ReadLastCheckpoint(string path)
    {
        byte[] bytes;
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            // Only the end matters: a checkpoint line is under 100 bytes.
            var tail = (int)Math.Min(file.Length, 4096);
            file.Seek(-tail, SeekOrigin.End);
            bytes = new byte[tail];
            file.ReadExactly(bytes);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        var lines = Encoding.ASCII.GetString(bytes).Split('\n');
        // The last element follows the last newline: empty, or a line cut short.
        for (var i = lines.Length - 2; i >= 0; i--)
        {
            var parts = lines[i].Split(' ');
            if (parts.Length == 4
                && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var seq)
                && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var logBytes)
                && long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var stdout)
                && long.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out var stderr))
            {
                return new LogCheckpoint(seq, logBytes, new RunPosition(stdout, stderr));
            }
        }

        return null;
    }

    private void ReleaseDropped(object item)
    {
        if (item is Batch batch)
        {
            _onWritten?.Invoke(batch.Lines.Sum(static line => (long)line.Weight));
        }
    }

    private sealed record Batch(IReadOnlyList<LogLine> Lines, RunPosition After);

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

/// <summary>
/// A point up to which a job's log is stored and consistent with the run's files: the last
/// seq, the stored log's length up to it, and the position in the run's output after it.
/// </summary>
public sealed record LogCheckpoint(long Seq, long LogBytes, RunPosition Position);
