using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Akka.Event;
using PinsDaemon.Contracts;
using PinsDaemon.Fleet.Agents;
using PinsDaemon.Fleet.Replication;

namespace PinsDaemon.Fleet.Rollouts;

/// <summary>
/// Runs the fleet's rollouts: a cluster singleton on the <c>controller</c> nodes. It keeps no state
/// of its own that matters: every rollout lives in DistributedData (<see cref="RolloutKeys"/>),
/// written with majority writes and read with majority reads when a coordinator starts, so when its
/// node goes away the next coordinator resumes where this one was. A host is recorded as
/// dispatched (majority write to a grow-only set) before its agent is told to start, and agents
/// start at most one job per rollout, so no host runs twice.
/// </summary>
/// <remarks>
/// Membership comes from cluster events; a member's name from its agent (<see cref="AgentProtocol.Identify"/>).
/// The coordinator polls running hosts' agents every <see cref="FleetSettings.PollInterval"/>: a lost
/// message costs one interval, and nothing needs to be re-registered when the singleton moves.
/// </remarks>
public sealed class FleetCoordinator : ReceiveActor, IWithTimers
{
    /// <summary>Rollouts kept; older finished ones are deleted from the replicated data (it is gossiped whole).</summary>
    public const int MaxRollouts = 50;

    /// <summary>Majority reads and writes wait this long for the other nodes; a Pi on Wi-Fi may be slow, never this slow.</summary>
    private static readonly TimeSpan ReplicationTimeout = TimeSpan.FromSeconds(5);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly FleetSettings _settings;
    private readonly TimeProvider _clock;
    private readonly Cluster _cluster = Cluster.Get(Context.System);
    private readonly IActorRef _replicator = DistributedData.Get(Context.System).Replicator;
    private readonly Dictionary<Address, Member> _members = [];
    private readonly HashSet<Address> _unreachable = [];
    private readonly Dictionary<Address, string> _names = [];
    private readonly Dictionary<string, RolloutRecord> _rollouts = [];
    private readonly Dictionary<string, HashSet<string>> _dispatched = [];
    private readonly HashSet<(string RolloutId, string Host)> _dispatching = [];
    private readonly HashSet<string> _loading = [];
    private bool _starting;

    /// <summary>True once the rollouts were read from a majority; before, nothing is decided.</summary>
    private bool _active;

    public FleetCoordinator(FleetSettings settings, TimeProvider clock)
    {
        _settings = settings;
        _clock = clock;
        Loading();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(FleetSettings settings, TimeProvider clock) =>
        Akka.Actor.Props.Create(() => new FleetCoordinator(settings, clock));

    private IWriteConsistency WriteMajority => new WriteMajority(ReplicationTimeout);

    private IReadConsistency ReadMajority => new ReadMajority(ReplicationTimeout);

    private DateTimeOffset Now => _clock.GetUtcNow();

    protected override void PreStart()
    {
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));
        _log.Info("Fleet coordinator started on {0}; loading rollouts with majority reads", _cluster.SelfAddress);
        _replicator.Tell(Dsl.Get(RolloutKeys.Index, ReadMajority, new LoadIndex()));
    }

    protected override void PostStop() => _cluster.Unsubscribe(Self);

    /// <summary>Until every rollout is read from a majority, nothing is decided: a stale local replica could re-run a host.</summary>
    private void Loading()
    {
        Membership();
        Receive<GetSuccess>(success => success.Request is LoadIndex, success => LoadRecords(success.Get(RolloutKeys.Index).Elements));
        Receive<NotFound>(notFound => notFound.Request is LoadIndex, _ => LoadRecords([]));
        Receive<GetFailure>(failure => failure.Request is LoadIndex, _ => RetryLoad("the rollout index"));
        Receive<GetSuccess>(success => success.Request is LoadRollout, HandleRolloutLoaded);
        Receive<NotFound>(notFound => notFound.Request is LoadRollout, notFound => Loaded(((LoadRollout)notFound.Request!).Key));
        Receive<GetFailure>(failure => failure.Request is LoadRollout, failure => RetryLoad(((LoadRollout)failure.Request!).Key));
        Receive<RetryLoadIndex>(_ => _replicator.Tell(Dsl.Get(RolloutKeys.Index, ReadMajority, new LoadIndex())));
        Receive<RetryLoadKey>(retry => Load(retry.Key));
        Receive<RolloutProtocol.StartRollout>(_ => Sender.Tell(NotReady()));
        Receive<RolloutProtocol.GetRollout>(_ => Sender.Tell(NotReady()));
        Receive<RolloutProtocol.ListRollouts>(_ => Sender.Tell(NotReady()));
        Receive<RolloutProtocol.SteerRollout>(_ => Sender.Tell(NotReady()));
        Receive<Tick>(_ => { });
    }

    private static RolloutProtocol.RolloutRefused NotReady() => new(
        RolloutProblemCodes.Unavailable,
        "The fleet coordinator is still reading the rollouts from a majority of nodes (it just started or moved). Try again in a few seconds.");

    private void LoadRecords(IEnumerable<string> ids)
    {
        foreach (var id in ids)
        {
            foreach (var key in new[] { RolloutKeys.RecordName(id), RolloutKeys.DispatchedName(id) })
            {
                _loading.Add(key);
                Load(key);
            }
        }

        if (_loading.Count == 0)
        {
            Activate();
        }
    }

    private void Load(string key)
    {
        var id = RolloutKeys.RolloutIdOf(key);
        _replicator.Tell(RolloutKeys.IsDispatchedName(key)
            ? Dsl.Get(RolloutKeys.Dispatched(id), ReadMajority, new LoadRollout(key))
            : Dsl.Get(RolloutKeys.Record(id), ReadMajority, new LoadRollout(key)));
    }

    private void RetryLoad(string what)
    {
        _log.Warning("Fleet coordinator: could not read {0} from a majority of nodes; retrying (a majority of the fleet must be reachable)", what);
        if (what == "the rollout index")
        {
            Timers.StartSingleTimer("load-index", new RetryLoadIndex(), TimeSpan.FromSeconds(2));
        }
        else
        {
            Timers.StartSingleTimer("load-" + what, new RetryLoadKey(what), TimeSpan.FromSeconds(2));
        }
    }

    private void HandleRolloutLoaded(GetSuccess success)
    {
        var name = ((LoadRollout)success.Request!).Key;
        switch (success.Data)
        {
            case LWWRegister<RolloutRecord> register:
                _rollouts[register.Value.RolloutId] = register.Value;
                break;
            case GSet<string> dispatched:
                _dispatched[RolloutKeys.RolloutIdOf(name)] = [.. dispatched.Elements];
                break;
        }

        Loaded(name);
    }

    private void Loaded(string key)
    {
        _loading.Remove(key);
        if (_loading.Count == 0)
        {
            Activate();
        }
    }

    private void Activate()
    {
        _log.Info("Fleet coordinator: {0} rollouts loaded ({1} not finished)", _rollouts.Count, _rollouts.Values.Count(r => r.IsActive));
        _active = true;
        Become(Active);
        Timers.StartPeriodicTimer("tick", Tick.Instance, _settings.PollInterval);
        foreach (var rollout in _rollouts.Values.Where(r => r.IsActive).ToArray())
        {
            // Hosts recorded as dispatched may have started: from here they are asked, never started blindly.
            var dispatched = _dispatched.GetValueOrDefault(rollout.RolloutId) ?? [];
            var record = rollout;
            foreach (var host in rollout.Hosts.Where(h => h.State == HostRolloutState.Pending && dispatched.Contains(h.Host)))
            {
                record = record.WithHost(host with { State = HostRolloutState.Running, StartedAt = Now, Message = "Resumed by a new coordinator; asking the host." });
            }

            Save(record);
            Advance(record.RolloutId);
        }
    }

    private void Active()
    {
        Membership();
        Receive<RolloutProtocol.StartRollout>(HandleStart);
        Receive<RolloutProtocol.GetRollout>(get =>
            Sender.Tell(_rollouts.TryGetValue(get.RolloutId, out var found)
                ? new RolloutProtocol.RolloutFound(found)
                : new RolloutProtocol.RolloutNotFound(get.RolloutId)));
        Receive<RolloutProtocol.ListRollouts>(_ =>
            Sender.Tell(new RolloutProtocol.RolloutList(_rollouts.Values.OrderByDescending(r => r.CreatedAt).ToArray())));
        Receive<RolloutProtocol.SteerRollout>(HandleSteer);
        Receive<UpdateSuccess>(success => success.Request is StartWrite, success => HandleStartWritten((StartWrite)success.Request!, written: true));
        Receive<IUpdateResponse>(response => response.Request is StartWrite, response => HandleStartWritten((StartWrite)response.Request!, written: false));
        Receive<UpdateSuccess>(success => success.Request is DispatchWrite, success => HandleDispatched((DispatchWrite)success.Request!));
        Receive<IUpdateResponse>(response => response.Request is DispatchWrite, response => HandleDispatchNotWritten((DispatchWrite)response.Request!, response));
        Receive<IUpdateResponse>(HandleRecordWritten);
        Receive<AgentProtocol.JobStartedForRollout>(HandleJobStarted);
        Receive<AgentProtocol.JobRefusedForRollout>(HandleJobRefused);
        Receive<AgentProtocol.RolloutJobState>(HandleJobState);
        Receive<AgentProtocol.RolloutJobUnknown>(HandleJobUnknown);
        Receive<AgentProtocol.RolloutJobLost>(lost => FailRunning(lost.RolloutId, SenderAddress, "jobLost", lost.Message));
        Receive<AgentProtocol.RebootScheduled>(_ => { });
        Receive<AgentProtocol.RebootRefused>(HandleRebootRefused);
        Receive<IDeleteResponse>(_ => { });
        Receive<Tick>(_ => HandleTick());
    }

    // ---- membership ----------------------------------------------------------------------------

    private void Membership()
    {
        Receive<ClusterEvent.IMemberEvent>(HandleMemberEvent);
        Receive<ClusterEvent.UnreachableMember>(unreachable => HandleUnreachable(unreachable.Member, "nodeUnreachable"));
        Receive<ClusterEvent.ReachableMember>(reachable => _unreachable.Remove(reachable.Member.Address));
        Receive<ClusterEvent.CurrentClusterState>(_ => { });
        Receive<AgentProtocol.Identity>(HandleIdentity);
        Receive<RolloutProtocol.ListMembers>(_ => Sender.Tell(new RolloutProtocol.MemberList(MemberInfos())));
    }

    private void HandleMemberEvent(ClusterEvent.IMemberEvent memberEvent)
    {
        var member = memberEvent.Member;
        if (memberEvent is ClusterEvent.MemberRemoved)
        {
            // Keyed by address: a new incarnation on the same address may already be there.
            if (_members.TryGetValue(member.Address, out var current) && current.UniqueAddress.Equals(member.UniqueAddress))
            {
                _members.Remove(member.Address);
                _unreachable.Remove(member.Address);
                _names.Remove(member.Address);
            }

            HandleUnreachable(member, "nodeLeft");
            return;
        }

        if (memberEvent is ClusterEvent.MemberLeft or ClusterEvent.MemberExited)
        {
            // Leaving (a daemon stopping, a host rebooting): its job is being interrupted now.
            _members[member.Address] = member;
            HandleUnreachable(member, "nodeLeft");
            return;
        }

        var known = _members.TryGetValue(member.Address, out var previous) ? previous : null;
        if (known is not null && known.UniqueAddress.Uid != member.UniqueAddress.Uid)
        {
            // A new incarnation on the same address (a restarted daemon): ask its name again.
            _names.Remove(member.Address);
        }

        _members[member.Address] = member;
        if (member.Status == MemberStatus.Up && !_names.ContainsKey(member.Address))
        {
            IdentifyMember(member.Address);
        }
    }

    private void IdentifyMember(Address address) =>
        Context.ActorSelection(AgentPath(address)).Tell(AgentProtocol.Identify.Instance);

    private static string AgentPath(Address address) => $"{address}/user/{AgentProtocol.ActorName}";

    private static string AgentPath(string address) => $"{address}/user/{AgentProtocol.ActorName}";

    /// <summary>Where the sender lives; the local agent's own path has no host and port.</summary>
    private Address SenderAddress => Sender.Path.Address.HasLocalScope ? _cluster.SelfAddress : Sender.Path.Address;

    private void HandleIdentity(AgentProtocol.Identity identity)
    {
        var address = SenderAddress;
        if (!_members.TryGetValue(address, out var member))
        {
            return;
        }

        if (_names.TryGetValue(address, out var existing) && existing == identity.Name)
        {
            return;
        }

        _names[address] = identity.Name;
        _log.Info("Fleet: {0} is {1}", address, identity.Name);
        if (_active)
        {
            HostCameBack(identity.Name, member);
        }
    }


    /// <summary>A rebooting host whose node rejoined as a new incarnation and answered: its reboot is done.</summary>
    private void HostCameBack(string name, Member member)
    {
        foreach (var rollout in _rollouts.Values.Where(r => r.IsActive).ToArray())
        {
            if (rollout.Find(name) is { State: HostRolloutState.Running, Step: HostEntry.Rebooting } host
                && host.Incarnation != member.UniqueAddress.Uid)
            {
                _log.Info("Fleet: {0} rebooted and rejoined for rollout {1}", name, rollout.RolloutId);
                Update(rollout.WithHost(host with
                {
                    State = HostRolloutState.Succeeded,
                    Step = null,
                    Address = member.Address.ToString(),
                    Incarnation = member.UniqueAddress.Uid,
                    FinishedAt = Now,
                    Message = "Upgraded, rebooted, and back in the fleet.",
                }));
            }
        }
    }

    private void HandleUnreachable(Member member, string reason)
    {
        if (reason == "nodeUnreachable")
        {
            _unreachable.Add(member.Address);
        }

        if (!_active)
        {
            return;
        }

        GoneAway(member.Address.ToString(), member.UniqueAddress.Uid, reason);
    }

    /// <summary>The hosts whose job was followed at <paramref name="address"/> (that incarnation, when given) wait to rejoin.</summary>
    private void GoneAway(string address, long? incarnation, string reason)
    {
        foreach (var rollout in _rollouts.Values.Where(r => r.IsActive).ToArray())
        {
            var record = rollout;
            // Only the incarnation the job was followed on: a late "removed" of an old incarnation
            // must not send a host that already came back on the same address away again.
            foreach (var host in rollout.Hosts.Where(h => h.State == HostRolloutState.Running && h.Step != HostEntry.Rebooting
                         && h.Address == address && (h.Incarnation is null || incarnation is null || h.Incarnation == incarnation)))
            {
                if (host.Step == HostEntry.Rejoining)
                {
                    if (host.AwayReason != reason && reason == "nodeLeft")
                    {
                        // Unreachable first, then downed and removed: it left, as far as anyone can tell.
                        record = record.WithHost(host with { AwayReason = reason });
                    }

                    continue;
                }

                // The job runs on outside the daemon (a daemon restart, a Wi-Fi drop): wait for the
                // node to come back and say how it ended, rather than count a failure that may not be one.
                _log.Warning("Fleet: {0} went away during rollout {1} ({2}); waiting up to {3} for it to rejoin", host.Host, rollout.RolloutId, reason, _settings.RejoinTimeout);
                record = record.WithHost(host with
                {
                    Step = HostEntry.Rejoining,
                    AwaySince = Now,
                    AwayReason = reason,
                    Message = (reason == "nodeLeft" ? "The node left the fleet while its job ran" : "The node stopped answering while its job ran")
                        + $"; its job runs on outside the daemon, so the rollout waits up to {_settings.RejoinTimeout} for the node to come back and report it.",
                });
            }

            if (!ReferenceEquals(record, rollout))
            {
                Update(record);
            }
        }
    }

    /// <summary>
    /// A host away while its job ran: back (its name answers from a usable member, perhaps a new
    /// incarnation at a new address) is followed again there; away too long is unreachable.
    /// </summary>
    private HostEntry? Rejoin(RolloutRecord rollout, HostEntry host)
    {
        if (Resolve(host.Host).Member is { } member)
        {
            _log.Info("Fleet: {0} is back in the fleet; following its job of rollout {1} again", host.Host, rollout.RolloutId);
            var address = member.Address.ToString();
            if (rollout.Status == RolloutStatus.Cancelled)
            {
                // The cancel was asked while it was away; the agent cancels at most its own job.
                Context.ActorSelection(AgentPath(address)).Tell(new AgentProtocol.CancelRolloutJob(rollout.RolloutId));
            }

            return host with
            {
                Step = null,
                AwaySince = null,
                AwayReason = null,
                Address = address,
                Incarnation = member.UniqueAddress.Uid,
                Message = "The node came back; its job is followed again.",
            };
        }

        if (host.AwaySince is { } since && Now - since > _settings.RejoinTimeout)
        {
            var reason = host.AwayReason ?? "nodeUnreachable";
            _log.Warning("Fleet: {0} did not rejoin within {1} during rollout {2} ({3})", host.Host, _settings.RejoinTimeout, rollout.RolloutId, reason);
            return host with
            {
                State = HostRolloutState.Unreachable,
                Step = null,
                Reason = reason,
                Message = (reason == "nodeLeft" ? "The node left the fleet while its job ran" : "The node stopped answering while its job ran")
                    + $" and did not come back within {_settings.RejoinTimeout} (Fleet:RejoinTimeout); how the job ended is unknown here (see GET /jobs on that host).",
                FinishedAt = Now,
            };
        }

        return null;
    }

    private IReadOnlyList<RolloutProtocol.MemberInfo> MemberInfos() => _members.Values
        .OrderBy(member => _names.GetValueOrDefault(member.Address) ?? "\uffff")
        .ThenBy(member => member.Address.ToString())
        .Select(member => new RolloutProtocol.MemberInfo(
            _names.GetValueOrDefault(member.Address),
            member.Address.ToString(),
            member.Roles.Order().ToArray(),
            member.Status.ToString().ToLowerInvariant(),
            !_unreachable.Contains(member.Address)))
        .ToArray();

    private bool IsUsable(Member member) =>
        member.Status == MemberStatus.Up && !_unreachable.Contains(member.Address);

    /// <summary>The member a host name stands for; null while it cannot be told yet (a member has not answered).</summary>
    private Resolution Resolve(string name)
    {
        var named = _members.Values.Where(member => IsUsable(member) && _names.GetValueOrDefault(member.Address) == name).ToArray();
        if (named.Length == 1)
        {
            return new Resolution(named[0], Wait: false);
        }

        var unnamed = _members.Values.Any(member => IsUsable(member) && !_names.ContainsKey(member.Address));
        return new Resolution(null, Wait: named.Length == 0 && unnamed);
    }

    // ---- starting --------------------------------------------------------------------------------

    private void HandleStart(RolloutProtocol.StartRollout start)
    {
        var active = _rollouts.Values.FirstOrDefault(r => r.IsActive);
        if (_starting || active is not null)
        {
            Sender.Tell(new RolloutProtocol.RolloutRefused(
                RolloutProblemCodes.Conflict,
                active is null
                    ? "Another rollout is being started. Try again in a moment."
                    : $"Rollout {active.RolloutId} is {active.Status.ToString().ToLowerInvariant()}: one rollout runs at a time (apt runs once per host). Cancel it or wait for it to finish.",
                active?.RolloutId));
            return;
        }

        var hosts = HostMembers();
        var duplicates = hosts.GroupBy(pair => pair.Name).Where(group => group.Count() > 1).Select(group => group.Key).ToArray();
        IReadOnlyList<string> targets;
        if (start.Spec.Hosts.IsAll)
        {
            targets = hosts.Select(pair => pair.Name).Distinct().Order(StringComparer.Ordinal).ToArray();
            if (targets.Count == 0)
            {
                Sender.Tell(new RolloutProtocol.RolloutRefused(RolloutProblemCodes.NoHosts, "No host of the fleet is up and known yet. GET /fleet/hosts shows the members."));
                return;
            }
        }
        else
        {
            targets = start.Spec.Hosts.Names;
            var unknown = targets.Where(name => hosts.All(pair => pair.Name != name)).ToArray();
            if (unknown.Length > 0)
            {
                Sender.Tell(new RolloutProtocol.RolloutRefused(
                    RolloutProblemCodes.UnknownHosts,
                    $"Not members of the fleet (or not answering yet): {string.Join(", ", unknown)}. GET /fleet/hosts lists the names."));
                return;
            }
        }

        var ambiguous = targets.Intersect(duplicates).ToArray();
        if (ambiguous.Length > 0)
        {
            Sender.Tell(new RolloutProtocol.RolloutRefused(
                RolloutProblemCodes.Conflict,
                $"Several members call themselves {string.Join(", ", ambiguous)}: give each node its own Fleet:NodeName."));
            return;
        }

        var id = Guid.NewGuid().ToString("D");
        var entries = RolloutPlan.Entries(targets, start.Spec.Canary, start.Spec.BatchSize)
            .Select(entry => entry with { Address = hosts.First(pair => pair.Name == entry.Host).Member.Address.ToString() })
            .ToArray();
        var record = new RolloutRecord(id, start.Spec with { Hosts = RolloutHosts.Named(targets) }, RolloutStatus.Running, Now, entries);
        _starting = true;
        var spec = start.Spec;
        _log.Info(
            "Fleet: rollout {0} requested by {1}: {2} hosts, {3}",
            id,
            start.Client,
            targets.Count,
            $"dry run: {spec.DryRun}, canary {spec.Canary}, batches of {spec.BatchSize}, max failures {spec.MaxFailures}, reboot {spec.Reboot}");
        _replicator.Tell(Dsl.Update(
            RolloutKeys.Record(id),
            new LWWRegister<RolloutRecord>(_cluster.SelfUniqueAddress, record),
            WriteMajority,
            new StartWrite(record, Sender, IndexStep: false),
            register => register.WithValue(_cluster.SelfUniqueAddress, record)));
    }

    private (string Name, Member Member)[] HostMembers() => _members.Values
        .Where(member => member.Status == MemberStatus.Up && member.HasRole(FleetSettings.HostRole) && _names.ContainsKey(member.Address))
        .Select(member => (_names[member.Address], member))
        .ToArray();

    private void HandleStartWritten(StartWrite write, bool written)
    {
        var record = write.Record;
        if (!written)
        {
            _starting = false;
            _log.Warning("Fleet: rollout {0} could not be replicated to a majority; not started", record.RolloutId);
            if (write.IndexStep)
            {
                // The record is on a majority, the index perhaps on some nodes: make sure no later
                // coordinator runs what the client was told did not start.
                var cancelled = record with { Status = RolloutStatus.Cancelled, Reason = "notReplicated", FinishedAt = Now };
                Save(RolloutPlan.Next(cancelled, Now).Record);
            }

            write.ReplyTo.Tell(new RolloutProtocol.RolloutRefused(
                RolloutProblemCodes.Unavailable,
                "The rollout could not be recorded on a majority of the fleet's nodes, so nothing was started. Check GET /fleet/hosts for unreachable nodes."));
            return;
        }

        if (!write.IndexStep)
        {
            _replicator.Tell(Dsl.Update(RolloutKeys.Index, ORSet<string>.Empty, WriteMajority, write with { IndexStep = true },
                index => index.Add(_cluster.SelfUniqueAddress, record.RolloutId)));
            return;
        }

        _starting = false;
        _rollouts[record.RolloutId] = record;
        _dispatched[record.RolloutId] = [];
        write.ReplyTo.Tell(new RolloutProtocol.RolloutFound(record));
        Advance(record.RolloutId);
        Prune();
    }

    // ---- running -------------------------------------------------------------------------------

    /// <summary>Applies the plan's next step to a rollout and starts the hosts it says are due.</summary>
    private void Advance(string rolloutId)
    {
        if (!_rollouts.TryGetValue(rolloutId, out var record))
        {
            return;
        }

        var step = RolloutPlan.Next(record, Now);
        if (!Equals(step.Record, record))
        {
            Save(step.Record);
            if (step.Record.FinishedAt is not null)
            {
                _log.Info("Fleet: rollout {0} ended {1} ({2} failures)", rolloutId, step.Record.Status, step.Record.Failures);
                Prune();
            }
        }

        foreach (var host in step.Dispatch)
        {
            Dispatch(rolloutId, host);
        }
    }

    private void Dispatch(string rolloutId, string host)
    {
        if (_dispatching.Contains((rolloutId, host)))
        {
            return;
        }

        var resolution = Resolve(host);
        if (resolution.Member is not { } member)
        {
            if (resolution.Wait)
            {
                return;
            }

            var record = _rollouts[rolloutId];
            _log.Warning("Fleet: {0} is not reachable; its turn in rollout {1} is skipped as unreachable", host, rolloutId);
            Update(record.WithHost(record.Find(host)! with
            {
                State = HostRolloutState.Unreachable,
                Reason = "nodeUnreachable",
                Message = "The node was not up and reachable when its turn came.",
                FinishedAt = Now,
            }));
            return;
        }

        // Recorded on a majority before the agent hears of it: whichever coordinator comes next
        // knows this host may have started and asks it instead of starting it.
        _dispatching.Add((rolloutId, host));
        _replicator.Tell(Dsl.Update(RolloutKeys.Dispatched(rolloutId), GSet<string>.Empty, WriteMajority,
            new DispatchWrite(rolloutId, host, member.Address.ToString(), member.UniqueAddress.Uid),
            set => set.Add(host)));
    }

    private void HandleDispatched(DispatchWrite write)
    {
        _dispatching.Remove((write.RolloutId, write.Host));
        if (!_dispatched.TryGetValue(write.RolloutId, out var dispatched))
        {
            _dispatched[write.RolloutId] = dispatched = [];
        }

        dispatched.Add(write.Host);
        if (!_rollouts.TryGetValue(write.RolloutId, out var record)
            || record.Status != RolloutStatus.Running
            || record.Find(write.Host) is not { State: HostRolloutState.Pending } host)
        {
            // Paused, cancelled or stopped meanwhile: recorded as dispatched, never started, and
            // a later coordinator asking the agent learns exactly that.
            return;
        }

        _log.Info("Fleet: starting {0} for rollout {1}", write.Host, write.RolloutId);
        Save(record.WithHost(host with
        {
            State = HostRolloutState.Running,
            Address = write.Address,
            Incarnation = write.Incarnation,
            StartedAt = Now,
        }));
        Context.ActorSelection(AgentPath(write.Address)).Tell(new AgentProtocol.StartRolloutJob(write.RolloutId, record.Spec.DryRun, record.Spec.Mode, record.Spec.Autoremove));
    }

    private void HandleDispatchNotWritten(DispatchWrite write, IUpdateResponse response)
    {
        _dispatching.Remove((write.RolloutId, write.Host));
        _log.Warning("Fleet: could not record {0} as dispatched on a majority ({1}); it waits and is retried", write.Host, response.GetType().Name);
    }

    private void HandleRecordWritten(IUpdateResponse response)
    {
        if (response is not UpdateSuccess)
        {
            // The local replica has it and gossip spreads it; the next change writes it again.
            _log.Warning("Fleet: a rollout record was not confirmed by a majority ({0})", response.GetType().Name);
        }
    }

    private HostEntry? RunningAt(string rolloutId, Address address, out RolloutRecord? record)
    {
        var text = address.ToString();
        record = _rollouts.GetValueOrDefault(rolloutId);
        return record?.Hosts.FirstOrDefault(host => host.State == HostRolloutState.Running && host.Address == text);
    }

    private void HandleJobStarted(AgentProtocol.JobStartedForRollout started)
    {
        if (RunningAt(started.RolloutId, SenderAddress, out var record) is { } host && host.JobId is null)
        {
            Update(record!.WithHost(host with { JobId = started.JobId, Message = null }));
        }
    }

    private void HandleJobRefused(AgentProtocol.JobRefusedForRollout refused) =>
        FailRunning(refused.RolloutId, SenderAddress, refused.Reason, refused.Message);

    private void FailRunning(string rolloutId, Address address, string reason, string message)
    {
        if (RunningAt(rolloutId, address, out var record) is { } host)
        {
            _log.Warning("Fleet: {0} failed in rollout {1}: {2}", host.Host, rolloutId, reason);
            Update(record!.WithHost(host with { State = HostRolloutState.Failed, Reason = reason, Message = message, Step = null, FinishedAt = Now }));
        }
    }

    private void HandleJobState(AgentProtocol.RolloutJobState state)
    {
        if (RunningAt(state.RolloutId, SenderAddress, out var record) is not { } host || host.Step == HostEntry.Rebooting)
        {
            return;
        }

        var job = state.Job;
        if (!job.Status.IsFinal())
        {
            if (host.JobId != job.JobId)
            {
                Update(record!.WithHost(host with { JobId = job.JobId, Message = null }));
            }

            return;
        }

        if (RolloutPlan.NeedsReboot(record!.Spec, job))
        {
            _log.Info("Fleet: {0} needs a reboot for rollout {1}; asking it", host.Host, state.RolloutId);
            Update(record.WithHost(host with
            {
                JobId = job.JobId,
                Step = HostEntry.Rebooting,
                RebootRequired = true,
                RebootRequestedAt = Now,
                Message = "Upgraded; rebooting. The next batch waits for it to come back.",
            }));
            Sender.Tell(new AgentProtocol.RequestReboot(state.RolloutId));
            return;
        }

        Update(record.WithHost(RolloutPlan.Finish(host, job, Now)));
    }

    private void HandleJobUnknown(AgentProtocol.RolloutJobUnknown unknown)
    {
        if (RunningAt(unknown.RolloutId, SenderAddress, out var record) is not { } host)
        {
            return;
        }

        if (host.JobId is { } jobId)
        {
            FailRunning(unknown.RolloutId, SenderAddress, "jobLost", $"The host no longer knows job {jobId} of this rollout (its daemon's data was lost).");
            return;
        }

        // Dispatched, but the start never reached the agent (or is still on its way): the agent
        // starts at most one job per rollout, so asking again cannot run it twice.
        Sender.Tell(new AgentProtocol.StartRolloutJob(unknown.RolloutId, record!.Spec.DryRun, record.Spec.Mode, record.Spec.Autoremove));
    }

    private void HandleRebootRefused(AgentProtocol.RebootRefused refused)
    {
        foreach (var rollout in _rollouts.Values.Where(r => r.RolloutId == refused.RolloutId && r.IsActive))
        {
            var address = SenderAddress.ToString();
            if (rollout.Hosts.FirstOrDefault(h => h.Step == HostEntry.Rebooting && h.Address == address) is { } host)
            {
                var notAllowed = refused.Reason == "rebootNotAllowed";
                Update(rollout.WithHost(host with
                {
                    // Not allowed: the upgrade itself succeeded and the host says so; the owner reboots it.
                    State = notAllowed ? HostRolloutState.Succeeded : HostRolloutState.Failed,
                    Step = null,
                    Reason = refused.Reason,
                    Message = refused.Message,
                    FinishedAt = Now,
                }));
            }
        }
    }

    private void HandleTick()
    {
        foreach (var member in _members.Values.Where(m => IsUsable(m) && !_names.ContainsKey(m.Address)))
        {
            IdentifyMember(member.Address);
        }

        foreach (var rollout in _rollouts.Values.Where(r => r.IsActive).ToArray())
        {
            foreach (var host in rollout.Hosts.Where(h => h.State == HostRolloutState.Running))
            {
                if (host.Step == HostEntry.Rebooting)
                {
                    if (host.RebootRequestedAt is { } asked && Now - asked > _settings.RebootTimeout)
                    {
                        _log.Warning("Fleet: {0} did not come back within {1} of its reboot", host.Host, _settings.RebootTimeout);
                        // The latest record: an earlier host of this tick may have changed it.
                        Update(_rollouts[rollout.RolloutId].WithHost(host with
                        {
                            State = HostRolloutState.Failed,
                            Step = null,
                            Reason = "rebootTimedOut",
                            Message = $"The host did not rejoin the fleet within {_settings.RebootTimeout} of its reboot.",
                            FinishedAt = Now,
                        }));
                    }

                    continue;
                }

                if (host.Step == HostEntry.Rejoining)
                {
                    if (Rejoin(rollout, host) is { } changed)
                    {
                        Update(_rollouts[rollout.RolloutId].WithHost(changed));
                    }

                    continue;
                }

                if (host.Address is { } address && _members.Values.Any(m => m.Address.ToString() == address && IsUsable(m)))
                {
                    Context.ActorSelection(AgentPath(address)).Tell(new AgentProtocol.GetRolloutJob(rollout.RolloutId));
                }
                else if (host.Address is { } gone && _members.Values.All(m => m.Address.ToString() != gone))
                {
                    // Not a member at all (it left before this coordinator started, so no event
                    // will come): wait for it as for any host that went away.
                    GoneAway(gone, host.Incarnation, "nodeLeft");
                }
            }

            // Hosts whose dispatch waited (a majority was missing, a name not yet known) are tried again.
            Advance(rollout.RolloutId);
        }
    }

    // ---- steering --------------------------------------------------------------------------------

    private void HandleSteer(RolloutProtocol.SteerRollout steer)
    {
        if (!_rollouts.TryGetValue(steer.RolloutId, out var record))
        {
            Sender.Tell(new RolloutProtocol.RolloutNotFound(steer.RolloutId));
            return;
        }

        var target = steer.Command switch
        {
            RolloutCommand.Pause => RolloutStatus.Paused,
            RolloutCommand.Resume => RolloutStatus.Running,
            _ => RolloutStatus.Cancelled,
        };
        if (record.Status == target)
        {
            Sender.Tell(new RolloutProtocol.RolloutFound(record));
            return;
        }

        var allowed = steer.Command switch
        {
            RolloutCommand.Pause => record.Status == RolloutStatus.Running,
            RolloutCommand.Resume => record.Status == RolloutStatus.Paused,
            _ => record.Status is RolloutStatus.Running or RolloutStatus.Paused,
        };
        if (!allowed)
        {
            Sender.Tell(new RolloutProtocol.RolloutRefused(
                RolloutProblemCodes.Conflict,
                $"Rollout {record.RolloutId} is {record.Status.ToString().ToLowerInvariant()}; it cannot be {Done(steer.Command)}.",
                record.RolloutId));
            return;
        }

        _log.Info("Fleet: rollout {0}: {1} by {2}", record.RolloutId, steer.Command, steer.Client);
        var next = record with { Status = target };
        if (steer.Command == RolloutCommand.Cancel)
        {
            next = next with { Reason = RolloutPlan.CancelledReason };
            foreach (var host in record.Hosts.Where(h => h.State == HostRolloutState.Running && h.Step != HostEntry.Rebooting && h.Address is not null))
            {
                // The job refuses once dpkg runs; it then finishes and the host reports how.
                Context.ActorSelection(AgentPath(host.Address!)).Tell(new AgentProtocol.CancelRolloutJob(record.RolloutId));
            }
        }

        Update(next);
        Sender.Tell(new RolloutProtocol.RolloutFound(_rollouts[record.RolloutId]));
    }

    private static string Done(RolloutCommand command) => command switch
    {
        RolloutCommand.Pause => "paused",
        RolloutCommand.Resume => "resumed",
        _ => "cancelled",
    };

    // ---- records -------------------------------------------------------------------------------

    /// <summary>Records a change and takes the plan's next step.</summary>
    private void Update(RolloutRecord record)
    {
        Save(record);
        Advance(record.RolloutId);
    }

    private void Save(RolloutRecord record)
    {
        _rollouts[record.RolloutId] = record;
        _replicator.Tell(Dsl.Update(
            RolloutKeys.Record(record.RolloutId),
            new LWWRegister<RolloutRecord>(_cluster.SelfUniqueAddress, record),
            WriteMajority,
            null,
            register => register.WithValue(_cluster.SelfUniqueAddress, record)));
    }

    /// <summary>Deletes the oldest finished rollouts beyond <see cref="MaxRollouts"/>.</summary>
    private void Prune()
    {
        var excess = _rollouts.Values
            .Where(r => !r.IsActive)
            .OrderByDescending(r => r.CreatedAt)
            .Skip(Math.Max(0, MaxRollouts - _rollouts.Values.Count(r => r.IsActive)))
            .ToArray();
        foreach (var rollout in excess)
        {
            var id = rollout.RolloutId;
            _rollouts.Remove(id);
            _dispatched.Remove(id);
            _replicator.Tell(Dsl.Update(RolloutKeys.Index, ORSet<string>.Empty, WriteMajority, null, index => index.Remove(_cluster.SelfUniqueAddress, id)));
            _replicator.Tell(Dsl.Delete(RolloutKeys.Record(id), WriteMajority));
            _replicator.Tell(Dsl.Delete(RolloutKeys.Dispatched(id), WriteMajority));
        }
    }

    private sealed record LoadIndex;

    private sealed record LoadRollout(string Key);

    private sealed record RetryLoadIndex;

    private sealed record RetryLoadKey(string Key);

    private sealed record StartWrite(RolloutRecord Record, IActorRef ReplyTo, bool IndexStep);

    private sealed record DispatchWrite(string RolloutId, string Host, string Address, long Incarnation);

    private sealed record Resolution(Member? Member, bool Wait);

    private sealed record Tick
    {
        public static readonly Tick Instance = new();
    }
}
