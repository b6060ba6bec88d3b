using Akka.Actor;
using Akka.Event;
using PinsDaemon.Actors.Jobs;
using PinsDaemon.Actors.Logs;
using PinsDaemon.Actors.Storage;
using PinsDaemon.Contracts;

namespace PinsDaemon.Fleet.Agents;

/// <summary>
/// This node's part of the fleet, at <c>/user/fleet-agent</c> on every node. Starts jobs only
/// through this node's own <see cref="JobSupervisor"/>, exactly like <c>POST /upgrade</c>, and at
/// most one per rollout: the rollout is journaled as "starting" before the job is asked for, and
/// its job id once it exists, so a repeated or replayed start, even across a daemon restart,
/// never runs the upgrade twice. Also answers for its jobs, their logs (only jobs of rollouts),
/// reboots and its host summary.
/// </summary>
public sealed class HostAgent : ReceiveActor
{
    /// <summary>A local supervisor answers in microseconds; this long means it is wedged.</summary>
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Lines asked of the job per log read; the bytes bound below is what keeps a chunk small.</summary>
    private const int MaxLinesPerRead = 1000;

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly string _name;
    private readonly IActorRef _jobs;
    private readonly AgentJournal _journal;
    private readonly IHostSummarySource _summary;
    private readonly IRebootRequester? _reboots;

    /// <summary>Rollout → its job (null: being started, or lost if it was so at start).</summary>
    private readonly Dictionary<string, AgentJournalEntry> _entries = [];

    /// <summary>Rollouts whose start is under way, with everyone waiting for its answer.</summary>
    private readonly Dictionary<string, List<IActorRef>> _starting = [];

    /// <summary>Journal writes go one after the other, off the actor's thread.</summary>
    private readonly OrderedWrites _journalWrites = new();

    /// <summary>
    /// True at start while rollouts journaled as "starting" are looked for among the jobs the
    /// supervisor restored: until then nobody is told such a rollout's job was lost.
    /// </summary>
    private bool _resolving;

    public HostAgent(string name, IActorRef jobs, AgentJournal journal, IReadOnlyList<AgentJournalEntry> entries, IHostSummarySource summary, IRebootRequester? reboots)
    {
        _name = name;
        _jobs = jobs;
        _journal = journal;
        _summary = summary;
        _reboots = reboots;
        foreach (var entry in entries)
        {
            _entries[entry.RolloutId] = entry;
        }

        Receive<AgentProtocol.Identify>(_ => Sender.Tell(new AgentProtocol.Identity(_name, _reboots is not null)));
        Receive<AgentProtocol.StartRolloutJob>(HandleStart);
        Receive<StartingJournaled>(HandleStartingJournaled);
        Receive<StartAnswered>(HandleStartAnswered);
        Receive<AgentProtocol.GetRolloutJob>(HandleGet);
        Receive<AgentProtocol.CancelRolloutJob>(HandleCancel);
        Receive<AgentProtocol.RequestReboot>(HandleReboot);
        Receive<AgentProtocol.GetHostSummary>(_ => HandleSummary());
        Receive<AgentProtocol.ReadJobLog>(HandleReadLog);
        Receive<StartingResolved>(HandleStartingResolved);
    }

    /// <summary>What a job started for <paramref name="rolloutId"/> has as the client of its first audit entry.</summary>
    public static string ClientOf(string rolloutId) => $"fleet rollout {rolloutId}";

    protected override void PreStart()
    {
        if (!_entries.Values.Any(entry => entry.JobId is null))
        {
            return;
        }

        // The daemon stopped between asking for a job and journaling its id. With the run model
        // the job (and its run) may well exist, restored by the supervisor: its audit names the
        // rollout. A job that is not there was never created, but nothing is started again anyway.
        _resolving = true;
        _jobs.Ask<JobProtocol.JobList>(JobProtocol.ListJobs.Instance, AskTimeout).PipeTo(
            Self,
            success: list => new StartingResolved(list.Jobs),
            failure: _ => new StartingResolved([]));
    }

    private void HandleStartingResolved(StartingResolved resolved)
    {
        _resolving = false;
        foreach (var entry in _entries.Values.Where(entry => entry.JobId is null).ToArray())
        {
            var client = ClientOf(entry.RolloutId);
            if (resolved.Jobs.FirstOrDefault(job => job.Audit.Count > 0 && job.Audit[0].Client == client) is { } job)
            {
                _log.Info("Fleet: found job {0} of rollout {1}, started before the daemon restarted", job.JobId, entry.RolloutId);
                Journal(entry with { JobId = job.JobId }, null, null);
            }
        }
    }

    public static Props Props(string name, IActorRef jobs, AgentJournal journal, IReadOnlyList<AgentJournalEntry> entries, IHostSummarySource summary, IRebootRequester? reboots) =>
        Akka.Actor.Props.Create(() => new HostAgent(name, jobs, journal, entries, summary, reboots));

    private void HandleStart(AgentProtocol.StartRolloutJob start)
    {
        // Rollout ids are GUIDs minted by the coordinator; anything else is not journaled.
        if (!Guid.TryParseExact(start.RolloutId, "D", out _))
        {
            Sender.Tell(new AgentProtocol.JobRefusedForRollout(start.RolloutId[..Math.Min(36, start.RolloutId.Length)], "badRequest", "A rollout id is a GUID."));
            return;
        }

        // A peer's mode is checked as POST /upgrade checks a client's: the job reports it, and only
        // the two known modes have a fixed argument form for the root script.
        if (!UpgradeModes.All.Contains(start.Mode))
        {
            Sender.Tell(new AgentProtocol.JobRefusedForRollout(start.RolloutId, "badRequest", "A mode is \"upgrade\" or \"full-upgrade\"; nothing was started."));
            return;
        }

        if (_starting.TryGetValue(start.RolloutId, out var waiting))
        {
            waiting.Add(Sender);
            return;
        }

        if (_entries.TryGetValue(start.RolloutId, out var known))
        {
            if (known.JobId is null && _resolving)
            {
                // Answered by the coordinator's next poll, once the restored jobs were looked through.
                return;
            }

            Sender.Tell(known.JobId is { } jobId
                ? new AgentProtocol.JobStartedForRollout(start.RolloutId, jobId)
                : Lost(start.RolloutId));
            return;
        }

        _starting[start.RolloutId] = [Sender];
        Journal(new AgentJournalEntry(start.RolloutId, null, DateTimeOffset.UtcNow), new StartingJournaled(start, Written: true), new StartingJournaled(start, Written: false));
    }

    private void HandleStartingJournaled(StartingJournaled journaled)
    {
        var rolloutId = journaled.Start.RolloutId;
        if (!journaled.Written)
        {
            // Nothing could be recorded, so nothing may start: without the record a restart
            // would not know the job exists.
            _entries.Remove(rolloutId);
            Answer(rolloutId, new AgentProtocol.JobRefusedForRollout(rolloutId, "startFailed", $"Host {_name} could not record the rollout in its journal (disk); nothing was started."));
            return;
        }

        var self = Self;
        _jobs.Ask<JobProtocol.IStartJobReply>(new JobProtocol.StartJob(journaled.Start.DryRun, ClientOf(rolloutId)) { Mode = journaled.Start.Mode, Autoremove = journaled.Start.Autoremove }, AskTimeout)
            .PipeTo(self, success: answer => new StartAnswered(rolloutId, answer), failure: ex => new StartAnswered(rolloutId, ex));
    }

    private void HandleStartAnswered(StartAnswered answered)
    {
        var rolloutId = answered.RolloutId;
        switch (answered.Answer)
        {
            case JobProtocol.JobStarted started:
                _log.Info("Fleet: started job {0} for rollout {1}", started.Job.JobId, rolloutId);
                Journal(new AgentJournalEntry(rolloutId, started.Job.JobId, DateTimeOffset.UtcNow), null, null);
                Answer(rolloutId, new AgentProtocol.JobStartedForRollout(rolloutId, started.Job.JobId));
                break;
            case JobProtocol.StartRefusedForReboot reboot:
                _entries.Remove(rolloutId);
                Journal(null, null, null);
                Answer(rolloutId, new AgentProtocol.JobRefusedForRollout(rolloutId, "busy", $"Host {_name} reboots at {reboot.RebootAt:u}; nothing was started."));
                break;
            case JobProtocol.JobRejected rejected:
                // Nothing started: forget the rollout, so the answer is the truth.
                _entries.Remove(rolloutId);
                Journal(null, null, null);
                Answer(rolloutId, new AgentProtocol.JobRefusedForRollout(rolloutId, "busy", $"Host {_name} was running job {rejected.RunningJobId}; apt can only run once at a time."));
                break;
            default:
                // No answer in time: the job may exist. Keep "starting" so it is never started again.
                _log.Error("Fleet: the job supervisor did not answer the start for rollout {0}; recording it as lost", rolloutId);
                Answer(rolloutId, Lost(rolloutId));
                break;
        }
    }

    private void Answer(string rolloutId, object answer)
    {
        if (_starting.Remove(rolloutId, out var waiting))
        {
            foreach (var waiter in waiting)
            {
                waiter.Tell(answer);
            }
        }
    }

    private AgentProtocol.RolloutJobLost Lost(string rolloutId) => new(
        rolloutId,
        $"Host {_name} was starting a job for this rollout when it stopped or stalled; whether the job ran is unknown, so it is not started again. See GET /jobs on {_name}.");

    private void HandleGet(AgentProtocol.GetRolloutJob get)
    {
        if (_starting.ContainsKey(get.RolloutId) || !_entries.TryGetValue(get.RolloutId, out var entry))
        {
            Sender.Tell(new AgentProtocol.RolloutJobUnknown(get.RolloutId));
            return;
        }

        if (entry.JobId is not { } jobId)
        {
            if (!_resolving)
            {
                Sender.Tell(Lost(get.RolloutId));
            }

            return;
        }

        var rolloutId = get.RolloutId;
        var name = _name;
        _jobs.Ask<JobProtocol.IGetJobReply>(new JobProtocol.GetJob(jobId), AskTimeout).PipeTo(
            Sender,
            Self,
            success: answer => answer is JobProtocol.JobFound found
                ? new AgentProtocol.RolloutJobState(rolloutId, AgentJobState.From(found.Job))
                : new AgentProtocol.RolloutJobLost(rolloutId, $"Host {name} no longer has job {jobId} (pruned from its history)."),
            failure: _ => new AgentProtocol.RolloutJobUnknown(rolloutId));
    }

    private void HandleCancel(AgentProtocol.CancelRolloutJob cancel)
    {
        if (_entries.TryGetValue(cancel.RolloutId, out var entry) && entry.JobId is { } jobId)
        {
            _jobs.Tell(new JobProtocol.CancelJob(jobId, $"fleet rollout {cancel.RolloutId}"));
        }
    }

    private void HandleReboot(AgentProtocol.RequestReboot request)
    {
        var rolloutId = request.RolloutId;
        if (_reboots is null)
        {
            Sender.Tell(new AgentProtocol.RebootRefused(rolloutId, "rebootNotAllowed", $"Host {_name} does not let rollouts reboot it; reboot it yourself."));
            return;
        }

        _log.Warning("Fleet: rebooting for rollout {0}", rolloutId);
        _reboots.RequestAsync(rolloutId, CancellationToken.None).PipeTo(
            Sender,
            Self,
            success: () => new AgentProtocol.RebootScheduled(rolloutId),
            failure: ex => new AgentProtocol.RebootRefused(rolloutId, "rebootFailed", $"Host {_name} could not schedule a reboot: {ex.Message}"));
    }

    private void HandleSummary()
    {
        var name = _name;
        _summary.GetAsync(CancellationToken.None).WaitAsync(AskTimeout).PipeTo(
            Sender,
            Self,
            success: summary => new AgentProtocol.HostSummaryReport(name, summary),
            failure: _ => new Status.Failure(new TimeoutException("no summary")));
    }

    private void HandleReadLog(AgentProtocol.ReadJobLog read)
    {
        // Only the logs of jobs this agent started for rollouts: a fleet peer reads nothing else.
        if (!_entries.Values.Any(entry => entry.JobId == read.JobId))
        {
            Sender.Tell(new AgentProtocol.JobLogUnavailable(read.JobId));
            return;
        }

        ReadChunkAsync(_jobs, read).PipeTo(Sender, Self, failure: _ => new AgentProtocol.JobLogUnavailable(read.JobId));
    }

    private static async Task<AgentProtocol.IJobLogReply> ReadChunkAsync(IActorRef jobs, AgentProtocol.ReadJobLog read)
    {
        // The state first: if it is final and the lines read after it reach its line count, the log is complete.
        if (await jobs.Ask<JobProtocol.IGetJobReply>(new JobProtocol.GetJob(read.JobId), AskTimeout).ConfigureAwait(false) is not JobProtocol.JobFound found)
        {
            return new AgentProtocol.JobLogUnavailable(read.JobId);
        }

        var readLog = new LogProtocol.ReadLog(read.JobId, read.After, MaxLinesPerRead, read.MaxBytes);
        if (await jobs.Ask<LogProtocol.IReadLogReply>(readLog, AskTimeout).ConfigureAwait(false) is not LogProtocol.LogPage page)
        {
            return new AgentProtocol.JobLogUnavailable(read.JobId);
        }

        var lines = page.Lines.Select(static line =>
        {
            var (stream, time, text) = line;
            return new RemoteLine(line.Seq, stream, time, text);
        }).ToList();
        return new AgentProtocol.JobLogChunk(AgentJobState.From(found.Job), lines);
    }

    /// <summary>Records <paramref name="entry"/> (or only rewrites), then tells itself the outcome.</summary>
    private void Journal(AgentJournalEntry? entry, object? onWritten, object? onFailed)
    {
        if (entry is not null)
        {
            _entries.Remove(entry.RolloutId);
            _entries[entry.RolloutId] = entry;
            while (_entries.Count > AgentJournal.MaxEntries)
            {
                _entries.Remove(_entries.Values.MinBy(known => known.At)!.RolloutId);
            }
        }

        var snapshot = _entries.Values.ToArray();
        var journal = _journal;
        var self = Self;
        var log = _log;
        _journalWrites.Enqueue(
            () =>
            {
                journal.Save(snapshot);
                if (onWritten is not null)
                {
                    self.Tell(onWritten);
                }
            },
            ex =>
            {
                log.Error("Fleet: could not write the agent's journal: {0}", ex.Message);
                if (onFailed is not null)
                {
                    self.Tell(onFailed);
                }
            });
    }

    private sealed record StartingJournaled(AgentProtocol.StartRolloutJob Start, bool Written);

    private sealed record StartAnswered(string RolloutId, object Answer);

    private sealed record StartingResolved(IReadOnlyList<JobSnapshot> Jobs);
}
