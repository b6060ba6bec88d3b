using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Threading.Channels;
using Akka.Actor;
using PinsDaemon.Contracts;
using PinsDaemon.Fleet.Agents;
using PinsDaemon.Fleet.Rollouts;
using PinsDaemon.Host.Streaming;

namespace PinsDaemon.Host.Fleet;

/// <summary>
/// One merged rollout log on one WebSocket. Each host's lines are read from that host's own stored
/// log through its agent, in chunks, from the host's <c>?after=</c> on; new hosts are picked up as
/// the rollout starts them. Everything goes through one bounded channel to one send loop, and one
/// receive loop handles pings and the client's close.
/// </summary>
internal sealed class FleetLogSession(
    WebSocket socket,
    string rolloutId,
    IReadOnlyDictionary<string, long> after,
    IActorRef coordinator,
    ActorSystem system,
    ILogger logger)
{
    /// <summary>About this much text per chunk asked of a host: a few round trips for a long log, never a large message.</summary>
    public const int ChunkBytes = 256 * 1024;

    /// <summary>Chunks waiting for the socket: with <see cref="ChunkBytes"/>, about 2 MiB per connection at most.</summary>
    private const int QueuedChunks = 8;

    /// <summary>Hosts read at the same moment; the others wait their turn (a 500-host replay must not ask 500 nodes at once).</summary>
    private const int ParallelReads = 4;

    /// <summary>A running host's log is asked again this often when it had nothing new.</summary>
    private static readonly TimeSpan IdlePoll = TimeSpan.FromMilliseconds(250);

    /// <summary>How often the rollout itself is read, for hosts that started or ended.</summary>
    private static readonly TimeSpan RolloutPoll = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

    private readonly Channel<IReadOnlyList<byte[]>> _output = Channel.CreateBounded<IReadOnlyList<byte[]>>(
        new BoundedChannelOptions(QueuedChunks) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    private readonly SemaphoreSlim _reads = new(ParallelReads);
    private readonly ConcurrentDictionary<string, long> _lastSeq = new(after, StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, HostEntry> _hosts = new(StringComparer.Ordinal);
    private WebSocketCloseStatus _closeStatus = LogCloseCodes.JobEnded;
    private string _closeReason = "rollout finished";
    private volatile bool _rolloutFinished;

    public async Task RunAsync(CancellationToken stopping, CancellationToken aborted)
    {
        using var sendCancel = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        using var receiveCancel = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        var produce = ProduceAsync(stopping, sendCancel.Token);
        var send = SendLoopAsync(sendCancel.Token);
        var receive = ReceiveLoopAsync(receiveCancel.Token);
        if (await Task.WhenAny(send, receive) == receive)
        {
            // The client closed, vanished, or broke the rules: stop reading and sending at once.
            await sendCancel.CancelAsync();
        }

        await Quietly(produce);
        await Quietly(send);
        if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            using var timeout = new CancellationTokenSource(CloseTimeout);
            try
            {
                await socket.CloseOutputAsync(_closeStatus, _closeReason, timeout.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
            {
                socket.Abort();
            }
        }

        // Give the client a moment to answer the close frame (cancelling a receive aborts the socket).
        receiveCancel.CancelAfter(CloseTimeout);
        await Quietly(receive);
    }

    /// <summary>Follows the rollout, starts a reader per host that has a job, and ends the stream when all is sent.</summary>
    private async Task ProduceAsync(CancellationToken stopping, CancellationToken cancellationToken)
    {
        var readers = new Dictionary<string, Task>(StringComparer.Ordinal);
        // Readers stop when the daemon stops too, so none writes after the shutdown frame.
        using var readersCancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stopping);
        try
        {
            while (true)
            {
                stopping.ThrowIfCancellationRequested();
                switch (await AskAsync<RolloutProtocol.IRolloutReply>(coordinator, new RolloutProtocol.GetRollout(rolloutId), cancellationToken))
                {
                    case RolloutProtocol.RolloutFound found:
                        var rollout = found.Rollout;
                        foreach (var host in rollout.Hosts)
                        {
                            _hosts[host.Host] = host;
                            if (host is { JobId: { } jobId, Address: not null } && !readers.ContainsKey(host.Host))
                            {
                                readers[host.Host] = ReadHostAsync(host.Host, jobId, readersCancel.Token);
                            }
                        }

                        if (rollout.FinishedAt is not null)
                        {
                            _rolloutFinished = true;
                            await Task.WhenAll(readers.Values).WaitAsync(stopping);
                            await WriteAsync([FleetLogFrameWriter.RolloutEnd(rolloutId, rollout.Status)], cancellationToken);
                            return;
                        }

                        break;
                    case RolloutProtocol.RolloutNotFound:
                        SetClose(LogCloseCodes.InternalError, "the rollout is no longer kept");
                        return;
                }

                await Task.Delay(RolloutPoll, stopping);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            await Quietly(Task.WhenAll(readers.Values));
            await WriteAsync([FleetLogFrameWriter.Shutdown(_lastSeq, "The daemon is shutting down. Reconnect with ?after=host:seq,... when it is back.")], cancellationToken);
            SetClose(LogCloseCodes.GoingAway, "the daemon is shutting down");
        }
        finally
        {
            await readersCancel.CancelAsync();
            await Quietly(Task.WhenAll(readers.Values));
            _output.Writer.TryComplete();
        }
    }

    /// <summary>
    /// Reads one host's log from its agent to the end of its job. The agent is asked where the
    /// rollout last saw the host: a daemon that restarted while its job ran comes back at a new
    /// address (or incarnation) and serves the same job's log from there.
    /// </summary>
    private async Task ReadHostAsync(string host, PinsDaemon.Contracts.JobId jobId, CancellationToken cancellationToken)
    {
        var afterSeq = _lastSeq.GetValueOrDefault(host);
        JobProgress? progress = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            AgentProtocol.IJobLogReply? answer;
            var address = _hosts[host].Address;
            await _reads.WaitAsync(cancellationToken);
            try
            {
                var agent = system.ActorSelection($"{address}/user/{AgentProtocol.ActorName}");
                answer = await AskAsync<AgentProtocol.IJobLogReply>(agent, new AgentProtocol.ReadJobLog(jobId, afterSeq, ChunkBytes), cancellationToken);
            }
            finally
            {
                _reads.Release();
            }

            if (answer is not AgentProtocol.JobLogChunk chunk)
            {
                if (_hosts[host].Address != address)
                {
                    // The host came back elsewhere while it was asked where it was: ask it there.
                    continue;
                }

                // Unreachable, gone, or its job pruned: give up once the rollout says the host will
                // not come back; until then try again.
                if (_hosts.GetValueOrDefault(host) is { State: HostRolloutState.Unreachable } || _rolloutFinished || answer is AgentProtocol.JobLogUnavailable)
                {
                    logger.LogDebug("Merged log of rollout {RolloutId}: {Host}'s log is not available", rolloutId, host);
                    return;
                }

                await Task.Delay(RolloutPoll, cancellationToken);
                continue;
            }

            var frames = new List<byte[]>(chunk.Lines.Count + 2);
            foreach (var line in chunk.Lines)
            {
                frames.Add(FleetLogFrameWriter.Line(host, line));
                afterSeq = line.Seq;
            }

            if (chunk.Job.Progress is { } current && current != progress && !chunk.Job.Status.IsFinal())
            {
                progress = current;
                frames.Add(FleetLogFrameWriter.Progress(host, current));
            }

            // The state was taken before the lines were read: final, and nothing more to read, is the end.
            var ended = chunk.Job.Status.IsFinal() && (chunk.Lines.Count == 0 || afterSeq >= chunk.Job.LineCount);
            if (ended)
            {
                frames.Add(FleetLogFrameWriter.End(host, chunk.Job, afterSeq));
            }

            if (frames.Count > 0)
            {
                await WriteAsync(frames, cancellationToken);
                _lastSeq[host] = afterSeq;
            }

            if (ended)
            {
                return;
            }

            if (chunk.Lines.Count == 0)
            {
                await Task.Delay(IdlePoll, cancellationToken);
            }
        }
    }

    private ValueTask WriteAsync(IReadOnlyList<byte[]> frames, CancellationToken cancellationToken) =>
        _output.Writer.WriteAsync(frames, cancellationToken);

    private async Task SendLoopAsync(CancellationToken cancellationToken)
    {
        await foreach (var frames in _output.Reader.ReadAllAsync(cancellationToken))
        {
            foreach (var frame in frames)
            {
                await socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
            }
        }
    }

    private async Task ReceiveLoopAsync(CancellationToken cancellationToken)
    {
        if (await ClientMessages.DrainAsync(socket, cancellationToken) is { } close)
        {
            SetClose(close.Status, close.Reason);
        }
    }

    private void SetClose(WebSocketCloseStatus status, string reason)
    {
        _closeStatus = status;
        _closeReason = reason;
    }

    private static async Task<TReply?> AskAsync<TReply>(ICanTell target, object message, CancellationToken cancellationToken)
        where TReply : class
    {
        try
        {
            return target switch
            {
                IActorRef actor => await actor.Ask<TReply>(message, AskTimeout, cancellationToken),
                ActorSelection selection => await selection.Ask<TReply>(message, AskTimeout, cancellationToken),
                _ => null,
            };
        }
        catch (AskTimeoutException)
        {
            return null;
        }
    }

    private static async Task Quietly(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or TimeoutException or ChannelClosedException)
        {
            // The connection is going away either way.
        }
    }
}
