using System.Buffers.Text;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace PinsDaemon.Bench;

/// <summary>What the client checks about each line's text.</summary>
internal enum LineCheck
{
    /// <summary>The text is the line's seq (scripts that print `seq 1 N`).</summary>
    TextIsSeq,

    /// <summary>The text is the wall-clock time in ns when it was printed; record the latency.</summary>
    Timestamp,

    /// <summary>Anything.</summary>
    None,
}

/// <summary>
/// One WebSocket subscriber to /logs/{id}: receives every frame, verifies that lines arrive
/// complete and in order (seq 1, 2, 3, ... then an end frame whose lastSeq is the last line,
/// then close 1000), and records when the first line and the end arrived. Frames are checked
/// on a fast path that reads the daemon's fixed field order without building a DOM; anything
/// else falls back to a full JSON parse, so the check never silently skips a frame.
/// </summary>
internal sealed class LogSocketClient
{
    private static readonly byte[] LinePrefix = "{\"type\":\"line\",\"seq\":"u8.ToArray();
    private static readonly byte[] TextKey = ",\"text\":\""u8.ToArray();

    /// <summary>No frame at all for this long while the stream is open: the server stalled (the daemon pings every 20 s).</summary>
    public static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(25);

    private readonly LineCheck _check;
    private readonly SubscriberResult _result = new();
    private readonly ClientWebSocket _socket = new();
    private long _lastSeq;
    private long _lastActivity = Stopwatch.GetTimestamp();

    private LogSocketClient(LineCheck check) => _check = check;

    public static Task<SubscriberResult> RunAsync(Uri uri, string token, LineCheck check, CancellationToken cancellationToken) =>
        Start(uri, token, check, cancellationToken).Completion;

    public static async Task<SubscriberResult[]> RunAllAsync(Uri uri, string token, LineCheck check, int count, CancellationToken cancellationToken)
    {
        var clients = Enumerable.Range(0, count).Select(_ => Start(uri, token, check, cancellationToken)).ToArray();
        var all = Task.WhenAll(clients.Select(client => client.Completion));
        while (await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(1), cancellationToken)) != all)
        {
            foreach (var client in clients)
            {
                client.AbortIfStalled();
            }
        }

        return await all;
    }

    /// <summary>Starts a subscriber; a watchdog aborts it if it stalls (see <see cref="AbortIfStalled"/>).</summary>
    public static LogSocketClient Start(Uri uri, string token, LineCheck check, CancellationToken cancellationToken)
    {
        var client = new LogSocketClient(check);
        client.Completion = Task.Run(() => client.RunCoreAsync(uri, token, cancellationToken), cancellationToken);
        return client;
    }

    public Task<SubscriberResult> Completion { get; private set; } = null!;

    /// <summary>Aborts the connection, recording why, when nothing arrived for <see cref="StallTimeout"/>.</summary>
    public void AbortIfStalled()
    {
        if (!Completion.IsCompleted && Stopwatch.GetElapsedTime(Volatile.Read(ref _lastActivity)) > StallTimeout)
        {
            _result.Fail($"stalled: no frame for {StallTimeout.TotalSeconds:0} s after {_result.Lines} lines");
            _socket.Abort();
        }
    }

    private async Task<SubscriberResult> RunCoreAsync(Uri uri, string token, CancellationToken cancellationToken)
    {
        var result = _result;
        using var socket = _socket;
        socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
        // 64 KiB: hundreds of small frames per read from the socket instead of a few dozen.
        socket.Options.SetBuffer(64 * 1024, 4 * 1024);
        try
        {
            await socket.ConnectAsync(uri, cancellationToken);
            result.ConnectedAt = Stopwatch.GetTimestamp();
            result.ConnectedUnixNs = UnixNs();

            var buffer = new byte[16 * 1024];
            var filled = 0;
            while (true)
            {
                if (filled == buffer.Length)
                {
                    Array.Resize(ref buffer, buffer.Length * 2);
                }

                var received = await socket.ReceiveAsync(buffer.AsMemory(filled), cancellationToken);
                _lastActivity = Stopwatch.GetTimestamp();
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    result.CloseStatus = socket.CloseStatus;
                    result.CloseDescription = socket.CloseStatusDescription;
                    break;
                }

                filled += received.Count;
                if (!received.EndOfMessage)
                {
                    continue;
                }

                OnFrame(buffer.AsSpan(0, filled));
                filled = 0;
            }

            if (socket.State == WebSocketState.CloseReceived)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException or HttpRequestException or ObjectDisposedException)
        {
            result.Fail($"{ex.GetType().Name}: {ex.Message}");
        }

        return result;
    }

    private void OnFrame(ReadOnlySpan<byte> frame)
    {
        if (TryReadLine(frame, out var seq, out var text))
        {
            OnLine(seq, text);
        }
        else
        {
            OnOtherFrame(frame);
        }
    }

    private void OnLine(long seq, ReadOnlySpan<byte> text)
    {
        var result = _result;
        var now = Stopwatch.GetTimestamp();
        if (result.Lines == 0)
        {
            result.FirstLineAt = now;
        }

        result.LastLineAt = now;
        result.Lines++;
        if (seq != _lastSeq + 1)
        {
            result.Fail($"seq {seq} arrived after seq {_lastSeq}");
        }

        _lastSeq = seq;
        switch (_check)
        {
            case LineCheck.TextIsSeq:
                if (!Utf8Parser.TryParse(text, out long value, out var used) || used != text.Length || value != seq)
                {
                    result.Fail($"line {seq} has text '{Encoding.UTF8.GetString(text)}'");
                }

                break;
            case LineCheck.Timestamp:
                if (Utf8Parser.TryParse(text, out long printedNs, out var length) && length == text.Length)
                {
                    result.Timestamps.Add((printedNs, UnixNs()));
                }

                break;
        }
    }

    private void OnOtherFrame(ReadOnlySpan<byte> frame)
    {
        var result = _result;
        try
        {
            using var document = JsonDocument.Parse(frame.ToArray());
            var root = document.RootElement;
            switch (root.GetProperty("type").GetString())
            {
                case "line":
                    var text = Encoding.UTF8.GetBytes(root.GetProperty("text").GetString() ?? "");
                    OnLine(root.GetProperty("seq").GetInt64(), text);
                    break;
                case "lines":
                    // ?batch=true: the same line objects, several to a frame.
                    foreach (var line in root.GetProperty("lines").EnumerateArray())
                    {
                        OnLine(line.GetProperty("seq").GetInt64(), Encoding.UTF8.GetBytes(line.GetProperty("text").GetString() ?? ""));
                    }

                    break;
                case "progress":
                    // Job state, not a log line (scripts that speak apt's status channel).
                    result.OtherFrames++;
                    break;
                case "end":
                    result.EndAt = Stopwatch.GetTimestamp();
                    result.EndStatus = root.GetProperty("status").GetString();
                    result.EndLastSeq = root.GetProperty("lastSeq").GetInt64();
                    if (result.EndLastSeq != _lastSeq)
                    {
                        result.Fail($"end says lastSeq {result.EndLastSeq}, the last line received was {_lastSeq}");
                    }

                    break;
                default:
                    result.Fail($"unexpected frame {Encoding.UTF8.GetString(frame)}");
                    break;
            }
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            result.Fail($"unreadable frame ({ex.Message}): {Encoding.UTF8.GetString(frame[..Math.Min(frame.Length, 200)])}");
        }
    }

    /// <summary>
    /// The daemon renders every line frame as
    /// <c>{"type":"line","seq":N,"stream":"...","time":"...","text":"..."}</c>; read seq and text
    /// without a parser. False (and a full parse) for anything else, including escaped text.
    /// </summary>
    private static bool TryReadLine(ReadOnlySpan<byte> frame, out long seq, out ReadOnlySpan<byte> text)
    {
        seq = 0;
        text = default;
        if (!frame.StartsWith(LinePrefix))
        {
            return false;
        }

        var rest = frame[LinePrefix.Length..];
        if (!Utf8Parser.TryParse(rest, out seq, out var digits) || digits == 0 || digits >= rest.Length || rest[digits] != (byte)',')
        {
            return false;
        }

        var key = rest.IndexOf(TextKey);
        if (key < 0)
        {
            return false;
        }

        var value = rest[(key + TextKey.Length)..];
        if (!value.EndsWith("\"}"u8))
        {
            return false;
        }

        value = value[..^2];
        if (value.IndexOfAny((byte)'\\', (byte)'"') >= 0)
        {
            return false;
        }

        text = value;
        return true;
    }

    public static long UnixNs() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;
}

/// <summary>What one subscriber saw.</summary>
internal sealed class SubscriberResult
{
    public long ConnectedAt { get; set; }

    public long ConnectedUnixNs { get; set; }

    public long FirstLineAt { get; set; }

    public long LastLineAt { get; set; }

    public long EndAt { get; set; }

    public long Lines { get; set; }

    public long OtherFrames { get; set; }

    public string? EndStatus { get; set; }

    public long EndLastSeq { get; set; }

    public WebSocketCloseStatus? CloseStatus { get; set; }

    public string? CloseDescription { get; set; }

    /// <summary>The first thing that went wrong; later problems usually follow from it.</summary>
    public string? Error { get; private set; }

    /// <summary>(printed, received) wall-clock ns, for <see cref="LineCheck.Timestamp"/>.</summary>
    public List<(long PrintedNs, long ReceivedNs)> Timestamps { get; } = [];

    public void Fail(string error) => Error ??= error;

    /// <summary>Every line 1..expected in order, the end frame (succeeded, right lastSeq), close 1000.</summary>
    public bool IsComplete(long expectedLines) =>
        Error is null && Lines == expectedLines && EndStatus == "succeeded" && EndLastSeq == expectedLines &&
        CloseStatus == WebSocketCloseStatus.NormalClosure;

    public string Describe(long expectedLines) =>
        IsComplete(expectedLines)
            ? "complete"
            : $"{Lines}/{expectedLines} lines, end={EndStatus ?? "none"}, close={(int?)CloseStatus} {CloseDescription}, error={Error ?? "none"}";
}
