using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using PinsDaemon.Cli.Output;
using PinsDaemon.Contracts;

namespace PinsDaemon.Cli.Api;

/// <summary>
/// Follows one job's log over the WebSocket until its <c>end</c> frame, across dropped
/// connections and daemon restarts: each reconnect asks for <c>?after=</c> the last line
/// received, so the lines handed on are the job's log exactly, with no gap and no repeat.
/// </summary>
internal sealed class LogFollower
{
    /// <summary>
    /// How long pins keeps trying to reach a daemon that went away before it gives up (exit 5).
    /// A restarted daemon, a rebooted Pi or a Wi-Fi blip is back well within 10 minutes; a
    /// script must not wait for ever.
    /// </summary>
    public static readonly TimeSpan GiveUpAfter = TimeSpan.FromMinutes(10);

    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(250);

    private static readonly TimeSpan MaxRetry = TimeSpan.FromSeconds(5);

    /// <summary>
    /// 1 MiB per frame: the daemon's largest is a 64 KiB batch, or one line of 64 KiB characters,
    /// which JSON escaping makes at most six times as long. Anything larger is not our daemon.
    /// </summary>
    private const int MaxFrameBytes = 1024 * 1024;

    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(2);

    private readonly DaemonClient _client;
    private readonly JobId _job;
    private readonly StatusReporter _status;
    private readonly Action<IReadOnlyList<LineFrame>> _onLines;
    private long _lastSeq;

    /// <param name="after">The last line the caller already has (0: from the start).</param>
    /// <param name="onLines">Gets every line after <paramref name="after"/>, in order, once.</param>
    public LogFollower(DaemonClient client, JobId job, long after, StatusReporter status, Action<IReadOnlyList<LineFrame>> onLines)
    {
        _client = client;
        _job = job;
        _lastSeq = after;
        _status = status;
        _onLines = onLines;
    }

    public async Task<EndFrame> FollowAsync(CancellationToken ct)
    {
        var retry = FirstRetry;
        DateTime? failingSince = null;
        var reconnecting = false;
        while (true)
        {
            WebSocket socket;
            try
            {
                socket = await _client.ConnectLogsAsync(_job, _lastSeq, ct);
            }
            catch (CliException ex) when (ex.Retryable)
            {
                failingSince ??= DateTime.UtcNow;
                if (DateTime.UtcNow - failingSince > GiveUpAfter)
                {
                    throw new CliException(ex.ExitCode, $"{ex.Message} Gave up after {GiveUpAfter.TotalMinutes:0} minutes. {ResumeHint()}");
                }

                if (!reconnecting)
                {
                    _status.Info($"{ex.Message} Trying again…");
                    reconnecting = true;
                }

                await Task.Delay(retry, ct);
                retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, MaxRetry.Ticks));
                continue;
            }

            if (reconnecting)
            {
                _status.Info($"Reconnected to {_client.Target.Label}; resuming after line {_lastSeq}.");
                reconnecting = false;
            }

            failingSince = null;
            retry = FirstRetry;
            using (socket)
            {
                var (end, lost) = await ReadAsync(socket, ct);
                if (end is not null)
                {
                    return end;
                }

                _status.Info($"{lost} Reconnecting from line {_lastSeq}…");
                reconnecting = true;
            }

            // Not at once: a daemon that keeps closing streams must not be hammered.
            await Task.Delay(FirstRetry, ct);
        }
    }

    public string ResumeHint() =>
        $"The job goes on; resume with: pins logs {_job} --follow --after {_lastSeq}{(_client.Target.Name is { } name ? $" --host {name}" : string.Empty)}";

    /// <summary>Reads frames until the <c>end</c> frame, or until the connection is lost (then says why).</summary>
    private async Task<(EndFrame? End, string Lost)> ReadAsync(WebSocket socket, CancellationToken ct)
    {
        var message = new ArrayBufferWriter<byte>(16 * 1024);
        while (true)
        {
            ValueWebSocketReceiveResult received;
            try
            {
                received = await socket.ReceiveAsync(message.GetMemory(16 * 1024), ct);
            }
            catch (Exception ex) when (ex is WebSocketException or IOException || (ex is OperationCanceledException && !ct.IsCancellationRequested))
            {
                // OperationCanceledException without Ctrl+C: the keep-alive gave up on a silent peer.
                return (null, $"The connection to {_client.Target.Label} was lost ({TerminalText.Neutralise(ex.Message)}).");
            }

            if (received.MessageType == WebSocketMessageType.Close)
            {
                return (null, Closed(socket));
            }

            message.Advance(received.Count);
            if (message.WrittenCount > MaxFrameBytes)
            {
                throw new CliException(ExitCodes.Failed, $"{_client.Target.Label} sent a log frame over {MaxFrameBytes / 1024} KiB; pins stops rather than buffer it.");
            }

            if (!received.EndOfMessage)
            {
                continue;
            }

            var frame = Parse(message.WrittenSpan);
            message.ResetWrittenCount();
            switch (frame)
            {
                case LineFrame line:
                    Deliver([line]);
                    break;
                case LinesFrame lines:
                    Deliver(lines.Lines);
                    break;
                case ProgressFrame progress:
                    _status.Progress(progress);
                    break;
                case EndFrame end:
                    await CloseQuietlyAsync(socket);
                    return (end, string.Empty);
            }

            // A shutdown frame needs nothing: the 1001 close that follows it says to reconnect.
        }
    }

    private string Closed(WebSocket socket) => socket.CloseStatus switch
    {
        LogCloseCodes.GoingAway => $"{_client.Target.Label} is shutting down or restarting.",
        LogCloseCodes.TooSlow => $"{_client.Target.Label} closed the stream because the output was not read fast enough.",
        LogCloseCodes.InternalError => throw new CliException(ExitCodes.Failed, $"Job {_job} disappeared from {_client.Target.Label} while its log was read (it was deleted as one of the oldest jobs)."),
        _ => $"{_client.Target.Label} closed the stream ({(int?)socket.CloseStatus}: {TerminalText.Neutralise(socket.CloseStatusDescription ?? string.Empty)}).",
    };

    /// <summary>Hands on the lines after the last one delivered; a repeat (never expected) is dropped rather than printed twice.</summary>
    private void Deliver(IReadOnlyList<LineFrame> lines)
    {
        var fresh = lines.Where(line => line.Seq > _lastSeq).ToList();
        if (fresh.Count == 0)
        {
            return;
        }

        if (fresh[0].Seq > _lastSeq + 1)
        {
            // The stored log lost lines (the host's disk failed: the job says logIncomplete).
            _status.Warn($"lines {_lastSeq + 1} to {fresh[0].Seq - 1} are missing from the log {_client.Target.Label} kept.");
        }

        _onLines(fresh);
        _lastSeq = fresh[^1].Seq;
    }

    private LogFrame? Parse(ReadOnlySpan<byte> utf8)
    {
        try
        {
            return LogFrame.Parse(utf8);
        }
        catch (JsonException) when (!IsKnownFrameType(utf8))
        {
            // A frame type newer than this pins (the protocol may grow): skip it.
            return null;
        }
        catch (JsonException ex)
        {
            throw new CliException(ExitCodes.Failed, $"{_client.Target.Label} sent a log frame pins cannot read ({ex.Message}).");
        }
    }

    private static bool IsKnownFrameType(ReadOnlySpan<byte> utf8)
    {
        try
        {
            using var document = JsonDocument.Parse(utf8.ToArray());
            return document.RootElement.ValueKind != JsonValueKind.Object
                   || !document.RootElement.TryGetProperty("type", out var type)
                   || type.GetString() is "line" or "lines" or "progress" or "end" or "shutdown";
        }
        catch (JsonException)
        {
            return true;
        }
    }

    private static async Task CloseQuietlyAsync(WebSocket socket)
    {
        using var timeout = new CancellationTokenSource(CloseTimeout);
        try
        {
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException)
        {
            // The job's end is known; how the socket closes does not matter.
        }
    }
}
