using System.Net.WebSockets;

namespace PinsDaemon.Contracts;

/// <summary>
/// The close codes of <c>/logs/{id}</c>, as documented in the README: the daemon closes with
/// them, and a client decides from them whether to reconnect.
/// </summary>
public static class LogCloseCodes
{
    /// <summary>1000: the job ended and every line was sent, followed by the <c>end</c> frame.</summary>
    public const WebSocketCloseStatus JobEnded = WebSocketCloseStatus.NormalClosure;

    /// <summary>1001: the daemon is shutting down.</summary>
    public const WebSocketCloseStatus GoingAway = WebSocketCloseStatus.EndpointUnavailable;

    /// <summary>1003: the client sent a binary frame; this endpoint only sends.</summary>
    public const WebSocketCloseStatus BinaryRefused = WebSocketCloseStatus.InvalidMessageType;

    /// <summary>1009: the client sent a message larger than the server accepts.</summary>
    public const WebSocketCloseStatus MessageTooBig = WebSocketCloseStatus.MessageTooBig;

    /// <summary>1011: the job disappeared while streaming.</summary>
    public const WebSocketCloseStatus InternalError = WebSocketCloseStatus.InternalServerError;

    /// <summary>
    /// 1013 ("try again later"): the client stopped reading for Streaming:StallTimeoutSeconds
    /// while lines waited for it; it should reconnect with <c>?after=</c> its last <c>seq</c>.
    /// </summary>
    public const WebSocketCloseStatus TooSlow = (WebSocketCloseStatus)1013;
}
