using System.Buffers;
using System.Net.WebSockets;
using PinsDaemon.Actors.Streaming;
using PinsDaemon.Contracts;

namespace PinsDaemon.Host.Streaming;

/// <summary>
/// Pumps one <see cref="LogStreamBuffer"/> into one WebSocket: a single send loop (a WebSocket
/// allows one send at a time) and a single receive loop, so pings, pongs and the client's close
/// frame are processed while lines flow. The connection is closed in exactly one place.
/// </summary>
/// <param name="linesSent">Told how many lines went out after each batch (the metrics' count).</param>
internal sealed class LogSocketSession(WebSocket socket, LogStreamBuffer buffer, ILogger logger, bool batchFrames = false, CoalescingStream? connection = null, Action<int>? linesSent = null)
{
    /// <summary>
    /// With <c>?batch=true</c>, lines already queued go out together in one
    /// <c>{"type":"lines","lines":[...]}</c> frame of up to this size: one send per burst
    /// instead of one per line, which is most of the server's cost per line.
    /// </summary>
    public const int MaxBatchFrameBytes = 64 * 1024;

    /// <summary>How long a closing handshake may take before the connection is simply dropped.</summary>
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

    // Until the send loop says how the stream ended: a send that failed must not look like the
    // job's end to the client, which then reconnects with ?after= and loses nothing.
    private WebSocketCloseStatus _closeStatus = LogCloseCodes.InternalError;
    private string _closeReason = "the daemon could not send the log: reconnect with ?after=<last seq received>";
    private long _lastSentSeq;

    /// <param name="stopping">The daemon is stopping: finish the frame in flight, then close with 1001.</param>
    /// <param name="aborted">The connection is gone: stop at once.</param>
    public async Task RunAsync(CancellationToken stopping, CancellationToken aborted)
    {
        using var onStopping = stopping.Register(() => buffer.Close(LogStreamClosedReason.ShuttingDown));
        using var sendCancel = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        using var receiveCancel = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        var send = SendLoopAsync(sendCancel.Token);
        var receive = ReceiveLoopAsync(receiveCancel.Token);

        var first = await Task.WhenAny(send, receive);
        if (first == send && send.Exception?.InnerException is { } failure)
        {
            // A client that vanished is routine; anything else is the daemon's fault, and shown.
            if (failure is WebSocketException or IOException)
            {
                logger.LogDebug("A log stream's send failed: {Error}", failure.Message);
            }
            else
            {
                logger.LogWarning("A log stream's send failed after seq {LastSent}: {ErrorType}: {Error}", _lastSentSeq, failure.GetType().Name, failure.Message);
            }
        }
        else if (first == receive)
        {
            // The client closed, vanished, or broke the rules: stop sending at once.
            await sendCancel.CancelAsync();
            await Quietly(send);
        }

        await CloseAsync();

        // Give the client a moment to answer our close frame, then let go.
        receiveCancel.CancelAfter(CloseTimeout);
        await Quietly(receive);
        if (socket.State == WebSocketState.CloseSent)
        {
            // The receive loop had already stopped (the client broke a rule): read until its close arrives.
            await Quietly(DrainUntilCloseAsync(receiveCancel.Token));
        }
    }

    private async Task DrainUntilCloseAsync(CancellationToken cancellationToken)
    {
        var scratch = new byte[1024];
        while (socket.State == WebSocketState.CloseSent)
        {
            var result = await socket.ReceiveAsync(scratch.AsMemory(), cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return;
            }
        }
    }

    private async Task SendLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var batch in buffer.Reader.ReadAllAsync(cancellationToken))
            {
                if (buffer.ClosedReason is { Kind: LogStreamClosedKind.TooSlow })
                {
                    // It cannot keep up: do not make it read the backlog before the close.
                    break;
                }

                if (batchFrames)
                {
                    await SendBatchedAsync(batch.Lines, cancellationToken);
                }
                else if (batch.Lines.Count > 0)
                {
                    // One message per line, written to the connection together.
                    if (connection is not null)
                    {
                        await connection.HoldAsync(cancellationToken);
                    }

                    try
                    {
                        foreach (var line in batch.Lines)
                        {
                            await socket.SendAsync(line.Frame, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
                            _lastSentSeq = line.Seq;
                        }
                    }
                    finally
                    {
                        if (connection is not null)
                        {
                            await connection.ReleaseAsync(cancellationToken);
                        }
                    }
                }

                if (batch.Progress is { } progress)
                {
                    await socket.SendAsync(LogFrames.Progress(progress), WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
                }

                buffer.Consumed(batch);
                linesSent?.Invoke(batch.Lines.Count);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The receive loop ended first and already chose the close status.
            return;
        }

        if (buffer.End is { } end)
        {
            await socket.SendAsync(LogFrames.End(end), WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
            SetClose(LogCloseCodes.JobEnded, "job finished");
            return;
        }

        switch (buffer.ClosedReason?.Kind)
        {
            case LogStreamClosedKind.TooSlow:
                SetClose(LogCloseCodes.TooSlow, buffer.ClosedReason.Message);
                break;
            case LogStreamClosedKind.JobGone:
                SetClose(LogCloseCodes.InternalError, buffer.ClosedReason.Message);
                break;
            default:
                // Tell the client where it got to, so it can resume once the daemon is back.
                await socket.SendAsync(LogFrames.Shutdown(_lastSentSeq), WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
                SetClose(LogCloseCodes.GoingAway, LogStreamClosedReason.ShuttingDown.Message);
                break;
        }
    }

    /// <summary>The lines' frames, already rendered, joined into array frames without re-serialising.</summary>
    private async Task SendBatchedAsync(IReadOnlyList<LogLine> lines, CancellationToken cancellationToken)
    {
        var frame = ArrayPool<byte>.Shared.Rent(MaxBatchFrameBytes + LineArrayOverhead);
        try
        {
            var index = 0;
            while (index < lines.Count)
            {
                var length = LogFrames.StartLines(frame);
                var first = true;
                // At least one line per frame, however long; then as many as fit.
                while (index < lines.Count && (first || length + lines[index].Frame.Length + 1 <= MaxBatchFrameBytes))
                {
                    var line = lines[index].Frame.Span;
                    if (length + line.Length + LineArrayOverhead > frame.Length)
                    {
                        var larger = ArrayPool<byte>.Shared.Rent(length + line.Length + LineArrayOverhead);
                        frame.AsSpan(0, length).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(frame);
                        frame = larger;
                    }

                    length = LogFrames.AppendToLines(frame, length, lines[index], first);
                    first = false;
                    _lastSentSeq = lines[index].Seq;
                    index++;
                }

                length = LogFrames.EndLines(frame, length);
                await socket.SendAsync(frame.AsMemory(0, length), WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    private const int LineArrayOverhead = LogFrames.LinesFrameOverhead;

    private async Task ReceiveLoopAsync(CancellationToken cancellationToken)
    {
        if (await ClientMessages.DrainAsync(socket, cancellationToken) is { } close)
        {
            SetClose(close.Status, close.Reason);
        }
    }

    private async Task CloseAsync()
    {
        if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            return;
        }

        using var timeout = new CancellationTokenSource(CloseTimeout);
        try
        {
            await socket.CloseOutputAsync(_closeStatus, _closeReason, timeout.Token);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            logger.LogDebug("Closing a log stream failed: {Error}", ex.Message);
            socket.Abort();
        }
    }

    private void SetClose(WebSocketCloseStatus status, string reason)
    {
        _closeStatus = status;
        _closeReason = reason;
    }

    private static async Task Quietly(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            // Already accounted for: the connection is going away either way.
        }
    }
}
