using Akka.Actor;
using Akka.Event;
using PinsDaemon.Actors.Jobs;
using PinsDaemon.Actors.Storage;
using PinsDaemon.Contracts;

namespace PinsDaemon.Actors.Notifications;

/// <summary>
/// Turns finished jobs (<see cref="JobProtocol.JobFinished"/> on the event stream) into
/// notifications and delivers them: each is written to disk before its first attempt, retried
/// with a doubling delay up to a bound, and marked delivered on disk after a 2xx. A restarted
/// daemon picks up what is pending. One job, event and target is one delivery with one id, made
/// once: the same event seen again is not queued again.
/// </summary>
/// <remarks>
/// Files are written one at a time, in order, off the actor's thread; an attempt starts only
/// once its pending state is on disk. A crash after the receiver's 2xx and before the mark
/// reached the disk sends it once more, with the same <c>webhook-id</c>: receivers drop it.
/// </remarks>
public sealed class NotificationDispatcher : ReceiveActor, IWithTimers
{
    /// <summary>Attempts in flight at once: a few slow receivers must not hold every other back, nor open many sockets.</summary>
    private const int MaxInFlight = 4;

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly NotificationSettings _settings;
    private readonly DeliveryStore _store;
    private readonly INotificationSender _sender;
    private readonly TimeProvider _clock;
    private readonly Dictionary<string, NotificationTarget> _targets;
    private readonly Dictionary<string, Delivery> _deliveries = [];
    private readonly HashSet<string> _sending = [];
    private readonly Queue<string> _waiting = new();
    private readonly CancellationTokenSource _stopping = new();
    private string? _updatesSeen;
    private readonly OrderedWrites _writes = new();

    public NotificationDispatcher(NotificationSettings settings, DeliveryStore store, INotificationSender sender, TimeProvider clock, IReadOnlyList<Delivery> loaded, string? updatesSeen)
    {
        _settings = settings;
        _store = store;
        _sender = sender;
        _clock = clock;
        _targets = settings.Targets.ToDictionary(target => target.Key);
        _updatesSeen = updatesSeen;
        foreach (var delivery in loaded)
        {
            _deliveries[delivery.Id] = delivery;
        }

        Receive<JobProtocol.JobFinished>(HandleJobFinished);
        Receive<Stored>(HandleStored);
        Receive<Attempt>(HandleAttempt);
        Receive<Attempted>(HandleAttempted);
        Receive<NotificationProtocol.GetDeliveries>(HandleGet);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="loaded">The queue as read from <paramref name="store"/> at start.</param>
    public static Props Props(NotificationSettings settings, DeliveryStore store, INotificationSender sender, TimeProvider clock, IReadOnlyList<Delivery> loaded, string? updatesSeen) =>
        Akka.Actor.Props.Create(() => new NotificationDispatcher(settings, store, sender, clock, loaded, updatesSeen));

    protected override void PreStart()
    {
        var now = _clock.GetUtcNow();
        foreach (var delivery in _deliveries.Values.Where(d => d.Status == NotificationStatuses.Pending).ToArray())
        {
            if (!_targets.ContainsKey(delivery.TargetKey))
            {
                _log.Warning("Notification {0} ({1}) for job {2}: its target is no longer configured; given up", delivery.Id, delivery.Event, delivery.JobId);
                Save(delivery with { Status = NotificationStatuses.Failed, NextAttemptAt = null, LastError = "its target is no longer configured" });
                continue;
            }

            var due = delivery.NextAttemptAt is { } at && at > now ? at - now : TimeSpan.Zero;
            Timers.StartSingleTimer(delivery.Id, new Attempt(delivery.Id), due);
        }
    }

    protected override void PostStop() => _stopping.Cancel();

    private void HandleJobFinished(JobProtocol.JobFinished finished)
    {
        var job = finished.Job;
        var decision = NotificationRules.Decide(job, _updatesSeen);
        if (decision.Updates is { } updates && updates != _updatesSeen)
        {
            _updatesSeen = updates;
            var store = _store;
            Write(() => store.WriteUpdatesSeen(updates), "the pending updates seen");
        }

        var now = _clock.GetUtcNow();
        foreach (var @event in decision.Events)
        {
            foreach (var target in _settings.Targets.Where(target => target.Events.Contains(@event)))
            {
                var id = NotificationRules.DeliveryId(job.JobId, @event, target);
                if (_deliveries.ContainsKey(id))
                {
                    continue;
                }

                var delivery = new Delivery(id, job.JobId, @event, target.Key, target.Display, NotificationRules.Body(job, @event, _settings.HostName, now), now)
                {
                    NextAttemptAt = now,
                };
                MakeRoom();
                var self = Self;
                Save(delivery).PipeTo(self, success: () => new Stored(id));
            }
        }
    }

    /// <summary>Keeps the queue within its bound: drops the oldest finished deliveries first, and a pending one only when all are pending.</summary>
    private void MakeRoom()
    {
        while (_deliveries.Count >= _settings.MaxDeliveries)
        {
            var oldest = _deliveries.Values.Where(d => d.Status != NotificationStatuses.Pending).MinBy(d => d.CreatedAt)
                ?? _deliveries.Values.MinBy(d => d.CreatedAt)!;
            if (oldest.Status == NotificationStatuses.Pending)
            {
                _log.Warning(
                    "Notification queue full ({0} deliveries): dropped the oldest undelivered one, {1} ({2}) for job {3} to {4}",
                    _settings.MaxDeliveries, oldest.Id, oldest.Event, oldest.JobId, oldest.Target);
                Timers.Cancel(oldest.Id);
            }

            _deliveries.Remove(oldest.Id);
            var store = _store;
            Write(() => store.Delete(oldest.Id), $"the removal of {oldest.Id}");
        }
    }

    private void HandleStored(Stored stored) => Timers.StartSingleTimer(stored.Id, new Attempt(stored.Id), TimeSpan.Zero);

    private void HandleAttempt(Attempt attempt)
    {
        if (!_deliveries.TryGetValue(attempt.Id, out var delivery) || delivery.Status != NotificationStatuses.Pending || _sending.Contains(attempt.Id))
        {
            return;
        }

        if (delivery.Attempts >= _settings.MaxAttempts)
        {
            // Its last attempt was cut off by a crash: the bound holds across restarts too.
            Save(delivery with { Status = NotificationStatuses.Failed, NextAttemptAt = null, LastError = delivery.LastError ?? "the daemon stopped during the last attempt" });
            return;
        }

        if (_sending.Count >= MaxInFlight)
        {
            _waiting.Enqueue(attempt.Id);
            return;
        }

        _sending.Add(attempt.Id);
        var target = _targets[delivery.TargetKey];
        var sender = _sender;
        var now = _clock.GetUtcNow();
        var cancellation = _stopping.Token;
        // The attempt is on disk before the request leaves: a crash mid-attempt still counts it.
        delivery = delivery with { Attempts = delivery.Attempts + 1, LastAttemptAt = now };
        var sending = delivery;
        Save(delivery)
            .ContinueWith(_ => sender.SendAsync(target, sending, now, cancellation), cancellation, TaskContinuationOptions.None, TaskScheduler.Default)
            .Unwrap()
            .PipeTo(
                Self,
                success: result => new Attempted(attempt.Id, result),
                failure: ex => new Attempted(attempt.Id, new SendResult(false, ex is OperationCanceledException ? "the daemon stopped" : ex.GetType().Name)));
    }

    private void HandleAttempted(Attempted attempted)
    {
        _sending.Remove(attempted.Id);
        if (_deliveries.TryGetValue(attempted.Id, out var delivery))
        {
            var attempts = delivery.Attempts;
            delivery = delivery with { LastError = attempted.Result.Error };
            if (attempted.Result.Delivered)
            {
                _log.Info("Notification {0} ({1}) for job {2} delivered to {3} (attempt {4})", delivery.Id, delivery.Event, delivery.JobId, delivery.Target, attempts);
                delivery = delivery with { Status = NotificationStatuses.Delivered, NextAttemptAt = null };
            }
            else if (attempts >= _settings.MaxAttempts)
            {
                _log.Warning("Notification {0} ({1}) for job {2} to {3}: given up after {4} attempts; last: {5}", [delivery.Id, delivery.Event, delivery.JobId, delivery.Target, attempts, attempted.Result.Error]);
                delivery = delivery with { Status = NotificationStatuses.Failed, NextAttemptAt = null };
            }
            else
            {
                var delay = _settings.RetryDelay(attempts);
                _log.Info("Notification {0} ({1}) for job {2} to {3}: attempt {4} failed ({5}); next in {6}", [delivery.Id, delivery.Event, delivery.JobId, delivery.Target, attempts, attempted.Result.Error, delay]);
                delivery = delivery with { NextAttemptAt = _clock.GetUtcNow() + delay };
                Timers.StartSingleTimer(delivery.Id, new Attempt(delivery.Id), delay);
            }

            Save(delivery);
        }

        while (_sending.Count < MaxInFlight && _waiting.TryDequeue(out var next))
        {
            Self.Tell(new Attempt(next));
        }
    }

    private void HandleGet(NotificationProtocol.GetDeliveries get)
    {
        var items = _deliveries.Values
            .Where(d => d.JobId == get.JobId)
            .OrderBy(d => d.CreatedAt)
            .ThenBy(d => d.Target, StringComparer.Ordinal)
            .Select(d => d.View())
            .ToArray();
        Sender.Tell(new NotificationProtocol.Deliveries(get.JobId, items));
    }

    /// <summary>Keeps <paramref name="delivery"/> and writes it; the task completes once it is on disk (or failed to be, logged).</summary>
    private Task Save(Delivery delivery)
    {
        _deliveries[delivery.Id] = delivery;
        var store = _store;
        return Write(() => store.Write(delivery), $"notification {delivery.Id}");
    }

    /// <summary>One write at a time, in the order asked, off the actor's thread: an older state never lands after a newer one.</summary>
    private Task Write(Action write, string what)
    {
        var log = _log;
        return _writes.Enqueue(write, ex => log.Warning("Notifications: could not store {0}: {1}", what, ex.Message));
    }

    private sealed record Stored(string Id);

    private sealed record Attempt(string Id);

    private sealed record Attempted(string Id, SendResult Result);
}
