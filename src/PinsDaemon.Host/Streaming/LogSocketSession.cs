using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using PinsDaemon.Actors.Jobs;
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

    /// <summary>Clients have nothing to say to this endpoint; a message bigger than this is abuse.</summary>
    public const int MaxClientMessageBytes = 4 * 1024;

    /// <summary>How long a closing handshake may take before the connection is simply dropped.</summary>
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

    private WebSocketCloseStatus _closeStatus = LogCloseCodes.JobEnded;
    private string _closeReason = "job finished";
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
        if (first == receive)
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
                    await socket.SendAsync(ProgressFrame(progress), WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
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
            await socket.SendAsync(EndFrame(end), WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
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
                await socket.SendAsync(ShutdownFrame(_lastSentSeq), WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
                SetClose(LogCloseCodes.GoingAway, LogStreamClosedReason.ShuttingDown.Message);
                break;
        }
    }

    private static ReadOnlySpan<byte> LinesFrameStart => "{\"type\":\"lines\",\"lines\":["u8;

    /// <summary>The lines' frames, already rendered, joined into array frames without re-serialising.</summary>
    private async Task SendBatchedAsync(IReadOnlyList<Actors.Jobs.LogLine> lines, CancellationToken cancellationToken)
    {
        var frame = ArrayPool<byte>.Shared.Rent(MaxBatchFrameBytes + LineArrayOverhead);
        try
        {
            var index = 0;
            while (index < lines.Count)
            {
                var length = Append(frame, 0, LinesFrameStart);
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

                    if (!first)
                    {
                        frame[length++] = (byte)',';
                    }

                    length = Append(frame, length, line);
                    first = false;
                    _lastSentSeq = lines[index].Seq;
                    index++;
                }

                length = Append(frame, length, "]}"u8);
                await socket.SendAsync(frame.AsMemory(0, length), WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    private const int LineArrayOverhead = 64;

    private static int Append(byte[] target, int at, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(target.AsSpan(at));
        return at + bytes.Length;
    }

    private static byte[] ProgressFrame(JobProgress progress)
    {
        var output = new ArrayBufferWriter<byte>(160);
        using (var writer = new Utf8JsonWriter(output))
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, "progress"u8);
            writer.WriteString("phase"u8, progress.Phase);
            if (progress.Percent is { } percent)
            {
                writer.WriteNumber("percent"u8, percent);
            }
            else
            {
                writer.WriteNull("percent"u8);
            }

            writer.WriteString("package"u8, progress.Package);
            writer.WriteString("message"u8, progress.Message);
            writer.WriteEndObject();
        }

        return output.WrittenSpan.ToArray();
    }

    private static byte[] ShutdownFrame(long lastSeq)
    {
        var output = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(output))
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, "shutdown"u8);
            writer.WriteNumber("lastSeq"u8, lastSeq);
            writer.WriteString("message"u8, $"The daemon is shutting down. Reconnect with ?after={lastSeq} when it is back.");
            writer.WriteEndObject();
        }

        return output.WrittenSpan.ToArray();
    }

    private async Task ReceiveLoopAsync(CancellationToken cancellationToken)
    {
        var scratch = ArrayPool<byte>.Shared.Rent(1024);
        try
        {
            var messageBytes = 0;
            while (true)
            {
                var result = await socket.ReceiveAsync(scratch.AsMemory(), cancellationToken);
                switch (result.MessageType)
                {
                    case WebSocketMessageType.Close:
                        SetClose(LogCloseCodes.JobEnded, "closed by client");
                        return;
                    case WebSocketMessageType.Binary:
                        SetClose(LogCloseCodes.BinaryRefused, "binary messages are not accepted");
                        return;
                }

                // Text from the client is ignored, but it may not be large.
                messageBytes += result.Count;
                if (messageBytes > MaxClientMessageBytes)
                {
                    SetClose(LogCloseCodes.MessageTooBig, $"client messages are limited to {MaxClientMessageBytes} bytes");
                    return;
                }

                if (result.EndOfMessage)
                {
                    messageBytes = 0;
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            // The peer vanished or stopped answering pings: nothing left to close politely.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
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

    private static byte[] EndFrame(JobProtocol.LogEnd end)
    {
        var output = new ArrayBufferWriter<byte>(160);
        using (var writer = new Utf8JsonWriter(output))
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, "end"u8);
            writer.WriteString("status"u8, JsonNamingPolicy.CamelCase.ConvertName(end.Status.ToString()));
            if (end.ExitCode is { } exitCode)
            {
                writer.WriteNumber("exitCode"u8, exitCode);
            }
            else
            {
                writer.WriteNull("exitCode"u8);
            }

            writer.WriteNumber("lastSeq"u8, end.LastSeq);
            if (end.Message is not null)
            {
                writer.WriteString("message"u8, end.Message);
            }

            writer.WriteEndObject();
        }

        return output.WrittenSpan.ToArray();
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
