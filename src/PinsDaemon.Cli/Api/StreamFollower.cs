using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using PinsDaemon.Cli.Output;
using PinsDaemon.Contracts;

namespace PinsDaemon.Cli.Api;

/// <summary>
/// Follows a log WebSocket to its end frame across dropped connections and daemon restarts: each
/// reconnect resumes where the lines received so far end (the subclass knows where that is), so
/// what it hands on has no gap and no repeat. Shared by a job's log and a rollout's merged log.
/// </summary>
/// <typeparam name="TEnd">The frame that ends the stream.</typeparam>
internal abstract class StreamFollower<TEnd>(DaemonClient client, StatusReporter status)
    where TEnd : class
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

    protected DaemonClient Client { get; } = client;

    protected StatusReporter Status { get; } = status;

    /// <summary>The host option that reaches the same daemon again, for the commands pins suggests.</summary>
    protected string HostArgument => Client.Target.Name is { } name ? $" --host {name}" : string.Empty;

    public async Task<TEnd> FollowAsync(CancellationToken ct)
    {
        var retry = FirstRetry;
        DateTime? failingSince = null;
        var reconnecting = false;
        while (true)
        {
            WebSocket socket;
            try
            {
                socket = await ConnectAsync(ct);
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
                    Status.Info($"{ex.Message} Trying again…");
                    reconnecting = true;
                }

                await Task.Delay(retry, ct);
                retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, MaxRetry.Ticks));
                continue;
            }

            if (reconnecting)
            {
                Status.Info($"Reconnected to {Client.Target.Label}; resuming {Position}.");
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

                Status.Info($"{lost} Reconnecting, to resume {Position}…");
                reconnecting = true;
            }

            // Not at once: a daemon that keeps closing streams must not be hammered.
            await Task.Delay(FirstRetry, ct);
        }
    }

    /// <summary>What goes on without pins, and the command that resumes following.</summary>
    public abstract string ResumeHint();

    /// <summary>Opens the stream where the lines handed on so far end.</summary>
    protected abstract Task<WebSocket> ConnectAsync(CancellationToken ct);

    /// <summary>Where the next connection resumes, in words ("after line 42").</summary>
    protected abstract string Position { get; }

    /// <summary>What the daemon's 1011 close means: what was followed is gone.</summary>
    protected abstract string Vanished { get; }

    /// <summary>The frame types of this stream; a frame of another type (the protocol may grow) is skipped.</summary>
    protected abstract IReadOnlySet<string> KnownFrameTypes { get; }

    /// <summary>Handles one frame (text UTF-8 JSON); returns the end frame when it was the last.</summary>
    protected abstract TEnd? Handle(ReadOnlySpan<byte> utf8);

    /// <summary>Parses a frame; null for a frame of a type this pins does not know, an error for anything else unreadable.</summary>
    protected T? Parse<T>(ReadOnlySpan<byte> utf8, Func<ReadOnlySpan<byte>, T> parse)
        where T : class
    {
        try
        {
            return parse(utf8);
        }
        catch (JsonException) when (!IsKnownFrameType(utf8))
        {
            return null;
        }
        catch (JsonException ex)
        {
            throw new CliException(ExitCodes.Failed, $"{Client.Target.Label} sent a log frame pins cannot read ({ex.Message}).");
        }
    }

    /// <summary>Reads frames until the end frame, or until the connection is lost (then says why).</summary>
    private async Task<(TEnd? End, string Lost)> ReadAsync(WebSocket socket, CancellationToken ct)
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
                return (null, $"The connection to {Client.Target.Label} was lost ({ControlCharacters.Neutralize(ex.Message)}).");
            }

            if (received.MessageType == WebSocketMessageType.Close)
            {
                return (null, Closed(socket));
            }

            message.Advance(received.Count);
            if (message.WrittenCount > MaxFrameBytes)
            {
                throw new CliException(ExitCodes.Failed, $"{Client.Target.Label} sent a log frame over {MaxFrameBytes / 1024} KiB; pins stops rather than buffer it.");
            }

            if (!received.EndOfMessage)
            {
                continue;
            }

            var end = Handle(message.WrittenSpan);
            message.ResetWrittenCount();
            if (end is not null)
            {
                await CloseQuietlyAsync(socket);
                return (end, string.Empty);
            }

            // A shutdown frame needs nothing: the 1001 close that follows it says to reconnect.
        }
    }

    private string Closed(WebSocket socket) => socket.CloseStatus switch
    {
        LogCloseCodes.GoingAway => $"{Client.Target.Label} is shutting down or restarting.",
        LogCloseCodes.TooSlow => $"{Client.Target.Label} closed the stream because the output was not read fast enough.",
        LogCloseCodes.InternalError => throw new CliException(ExitCodes.Failed, Vanished),
        _ => $"{Client.Target.Label} closed the stream ({(int?)socket.CloseStatus}: {ControlCharacters.Neutralize(socket.CloseStatusDescription ?? string.Empty)}).",
    };

    private bool IsKnownFrameType(ReadOnlySpan<byte> utf8)
    {
        try
        {
            using var document = JsonDocument.Parse(utf8.ToArray());
            return document.RootElement.ValueKind != JsonValueKind.Object
                   || !document.RootElement.TryGetProperty("type", out var type)
                   || (type.GetString() is { } name && KnownFrameTypes.Contains(name));
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
            // The end is known; how the socket closes does not matter.
        }
    }
}
