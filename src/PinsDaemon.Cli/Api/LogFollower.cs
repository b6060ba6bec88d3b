using System.Net.WebSockets;
using PinsDaemon.Cli.Output;
using PinsDaemon.Contracts;

namespace PinsDaemon.Cli.Api;

/// <summary>
/// Follows one job's log over the WebSocket until its <c>end</c> frame, across dropped
/// connections and daemon restarts: each reconnect asks for <c>?after=</c> the last line
/// received, so the lines handed on are the job's log exactly, with no gap and no repeat.
/// </summary>
internal sealed class LogFollower : StreamFollower<EndFrame>
{
    private static readonly IReadOnlySet<string> FrameTypes = new HashSet<string>(StringComparer.Ordinal) { "line", "lines", "progress", "end", "shutdown" };

    private readonly JobId _job;
    private readonly Action<IReadOnlyList<LineFrame>> _onLines;
    private long _lastSeq;

    /// <param name="after">The last line the caller already has (0: from the start).</param>
    /// <param name="onLines">Gets every line after <paramref name="after"/>, in order, once.</param>
    public LogFollower(DaemonClient client, JobId job, long after, StatusReporter status, Action<IReadOnlyList<LineFrame>> onLines)
        : base(client, status)
    {
        _job = job;
        _lastSeq = after;
        _onLines = onLines;
    }

    public override string ResumeHint() =>
        $"The job goes on; resume with: pins logs {_job} --follow --after {_lastSeq}{HostArgument}";

    protected override string Position => $"after line {_lastSeq}";

    protected override string Vanished => $"Job {_job} disappeared from {Client.Target.Label} while its log was read (it was deleted as one of the oldest jobs).";

    protected override IReadOnlySet<string> KnownFrameTypes => FrameTypes;

    protected override Task<WebSocket> ConnectAsync(CancellationToken ct) => Client.ConnectLogsAsync(_job, _lastSeq, ct);

    protected override EndFrame? Handle(ReadOnlySpan<byte> utf8)
    {
        switch (Parse(utf8, LogFrame.Parse))
        {
            case LineFrame line:
                Deliver([line]);
                break;
            case LinesFrame lines:
                Deliver(lines.Lines);
                break;
            case ProgressFrame progress:
                Status.Progress(progress);
                break;
            case EndFrame end:
                return end;
        }

        return null;
    }

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
            Status.Warn($"lines {_lastSeq + 1} to {fresh[0].Seq - 1} are missing from the log {Client.Target.Label} kept.");
        }

        _onLines(fresh);
        _lastSeq = fresh[^1].Seq;
    }
}
