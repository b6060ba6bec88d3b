using System.Net.WebSockets;
using PinsDaemon.Cli.Output;
using PinsDaemon.Contracts;

namespace PinsDaemon.Cli.Api;

/// <summary>
/// Follows a rollout's merged log (<c>/fleet/rollouts/{id}/logs</c>) until its <c>rolloutEnd</c>
/// frame, across dropped connections and daemon restarts: each reconnect asks for each host's
/// lines after the last one received from it (<c>?after=host:seq,...</c>), so the lines handed on
/// are each host's log exactly, with no gap and no repeat.
/// </summary>
internal sealed class RolloutFollower : StreamFollower<FleetRolloutEndFrame>
{
    private static readonly IReadOnlySet<string> FrameTypes = new HashSet<string>(StringComparer.Ordinal) { "line", "progress", "end", "rolloutEnd", "shutdown" };

    private readonly string _rollout;
    private readonly Dictionary<string, long> _lastSeq;
    private readonly HashSet<string> _ended = new(StringComparer.Ordinal);
    private readonly Action<FleetLineFrame> _onLine;

    /// <param name="after">The last line the caller already has, per host (none: from the start).</param>
    /// <param name="onLine">Gets every line after <paramref name="after"/>, each host's in order, once.</param>
    public RolloutFollower(DaemonClient client, string rollout, IReadOnlyDictionary<string, long> after, StatusReporter status, Action<FleetLineFrame> onLine)
        : base(client, status)
    {
        _rollout = rollout;
        _lastSeq = new Dictionary<string, long>(after, StringComparer.Ordinal);
        _onLine = onLine;
    }

    public override string ResumeHint()
    {
        var positions = FleetLogPositions.Format(_lastSeq);
        return $"The rollout goes on; resume with: pins fleet rollout show {_rollout} --follow{(positions.Length > 0 ? $" --after {positions}" : string.Empty)}{HostArgument}";
    }

    protected override string Position =>
        FleetLogPositions.Format(_lastSeq) is { Length: > 0 } positions ? $"after {positions}" : "from the start";

    protected override string Vanished => $"Rollout {_rollout} is no longer kept by the fleet (it keeps the 50 newest).";

    protected override IReadOnlySet<string> KnownFrameTypes => FrameTypes;

    protected override Task<WebSocket> ConnectAsync(CancellationToken ct) => Client.ConnectRolloutLogsAsync(_rollout, _lastSeq, ct);

    protected override FleetRolloutEndFrame? Handle(ReadOnlySpan<byte> utf8)
    {
        switch (Parse(utf8, FleetLogFrame.Parse))
        {
            case FleetLineFrame line:
                Deliver(line);
                break;
            case FleetProgressFrame progress:
                var package = progress.Package is { } name ? $"{progress.Host}: {name}" : progress.Host;
                Status.Progress(new ProgressFrame(progress.Phase, progress.Percent, package, progress.Message));
                break;
            case FleetEndFrame end:
                // Sent again after a reconnect when the host had already ended: said once.
                if (_ended.Add(end.Host))
                {
                    var message = end.Message is { } text ? $": {ControlCharacters.Neutralize(text)}" : ".";
                    Status.Info($"{ControlCharacters.Neutralize(end.Host)}: job {end.Status.WireName()}{message}");
                }

                break;
            case FleetRolloutEndFrame rolloutEnd:
                return rolloutEnd;
        }

        return null;
    }

    /// <summary>Hands on a line after the last one delivered for its host; a repeat (never expected) is dropped rather than printed twice.</summary>
    private void Deliver(FleetLineFrame line)
    {
        // Host names go into the next ?after= and onto the terminal: only a fleet's own names, as many as a rollout has.
        if (!FleetNames.IsValid(line.Host) || (!_lastSeq.ContainsKey(line.Host) && _lastSeq.Count == RolloutRequest.MaxHosts))
        {
            throw new CliException(ExitCodes.Failed, $"{Client.Target.Label} sent a log line of a host that cannot be in a rollout; pins stops.");
        }

        var last = _lastSeq.GetValueOrDefault(line.Host);
        if (line.Seq <= last)
        {
            return;
        }

        if (line.Seq > last + 1)
        {
            // The host's stored log lost lines (its disk failed: its job says logIncomplete).
            Status.Warn($"lines {last + 1} to {line.Seq - 1} of {ControlCharacters.Neutralize(line.Host)} are missing from the log it kept.");
        }

        _onLine(line);
        _lastSeq[line.Host] = line.Seq;
    }
}
