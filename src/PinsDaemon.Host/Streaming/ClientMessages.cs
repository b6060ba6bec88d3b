using System.Buffers;
using System.Net.WebSockets;
using PinsDaemon.Contracts;

namespace PinsDaemon.Host.Streaming;

/// <summary>
/// What a log socket's client may send: nothing that matters. Its text messages are read and
/// dropped, each bounded by <see cref="MaxBytes"/>; a binary message or an oversized one ends the
/// connection. Shared by the job's log socket and the fleet's merged one.
/// </summary>
internal static class ClientMessages
{
    /// <summary>The largest text message a client may send (it is ignored anyway).</summary>
    public const int MaxBytes = 4 * 1024;

    /// <summary>
    /// Reads until the client closes or breaks a rule, and answers how to close: the status and
    /// reason, or null when the peer vanished (or <paramref name="cancellationToken"/> fired) and
    /// there is nothing left to close politely.
    /// </summary>
    public static async Task<(WebSocketCloseStatus Status, string Reason)?> DrainAsync(WebSocket socket, CancellationToken cancellationToken)
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
                        return (LogCloseCodes.JobEnded, "closed by client");
                    case WebSocketMessageType.Binary:
                        return (LogCloseCodes.BinaryRefused, "binary messages are not accepted");
                }

                // Counted before the end of a message resets the count, so a last fragment counts too.
                messageBytes += result.Count;
                if (messageBytes > MaxBytes)
                {
                    return (LogCloseCodes.MessageTooBig, $"client messages are limited to {MaxBytes} bytes");
                }

                if (result.EndOfMessage)
                {
                    messageBytes = 0;
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }
}
