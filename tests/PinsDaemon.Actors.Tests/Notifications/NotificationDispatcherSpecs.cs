using System.Collections.Concurrent;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using PinsDaemon.Actors.Jobs;
using PinsDaemon.Actors.Notifications;
using PinsDaemon.Actors.Tests.TestSupport;
using PinsDaemon.Contracts;
using Xunit;

namespace PinsDaemon.Actors.Tests.Notifications;

public sealed class NotificationDispatcherSpecs : TestKit
{
    private static readonly NotificationTarget Target = new(NotificationTarget.Ntfy, new Uri("http://127.0.0.1:1/topic"), new HashSet<string> { "failed", "succeeded" }, null, null);

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly TempDirectory _storage = new();

    private NotificationSettings Settings(int maxAttempts = 20, int maxDeliveries = 1000) =>
        new([Target], _storage.Path, "pi-1", TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(100), maxAttempts) { MaxDeliveries = maxDeliveries };

    private IActorRef Dispatcher(NotificationSettings settings, FakeSender sender)
    {
        var store = new DeliveryStore(settings.Directory);
        var (loaded, _) = store.Load();
        return Sys.ActorOf(NotificationDispatcher.Props(settings, store, sender, TimeProvider.System, loaded, store.ReadUpdatesSeen()));
    }

    private static JobSnapshot Finished(JobStatus status) =>
        new(JobId.New(), status, true, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, 1, 0, null);

    private async Task<IReadOnlyList<NotificationDelivery>> DeliveriesAsync(IActorRef dispatcher, JobId job) =>
        (await dispatcher.Ask<NotificationProtocol.Deliveries>(new NotificationProtocol.GetDeliveries(job), Patience)).Items;

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        _storage.Dispose();
    }

    [Fact]
    public async Task Should_queue_an_event_seen_twice_only_once_and_send_it_once()
    {
        var sender = new FakeSender(_ => new SendResult(true, null));
        var dispatcher = Dispatcher(Settings(), sender);
        var job = Finished(JobStatus.Failed);
        dispatcher.Tell(new JobProtocol.JobFinished(job));
        dispatcher.Tell(new JobProtocol.JobFinished(job));

        await AwaitAssertAsync(async () => Assert.Equal(NotificationStatuses.Delivered, Assert.Single(await DeliveriesAsync(dispatcher, job.JobId)).Status), Patience);
        Assert.Single(sender.Sent);

        // A restart with the same queue, once the mark is on disk: the event is known and stays delivered.
        await AwaitAssertAsync(() => Assert.Contains("\"delivered\"", File.ReadAllText(Assert.Single(Directory.GetFiles(_storage.Path, "msg_*.json")))), Patience);
        await dispatcher.GracefulStop(Patience);
        var restarted = Dispatcher(Settings(), sender);
        restarted.Tell(new JobProtocol.JobFinished(job));
        Assert.Equal(NotificationStatuses.Delivered, Assert.Single(await DeliveriesAsync(restarted, job.JobId)).Status);
        Assert.Single(sender.Sent);
    }

    [Fact]
    public async Task Should_give_up_after_the_last_attempt_and_record_why()
    {
        var sender = new FakeSender(_ => new SendResult(false, "HTTP 503"));
        var dispatcher = Dispatcher(Settings(maxAttempts: 3), sender);
        var job = Finished(JobStatus.Failed);
        dispatcher.Tell(new JobProtocol.JobFinished(job));

        await AwaitAssertAsync(async () => Assert.Equal(NotificationStatuses.Failed, Assert.Single(await DeliveriesAsync(dispatcher, job.JobId)).Status), Patience);
        var delivery = Assert.Single(await DeliveriesAsync(dispatcher, job.JobId));
        Assert.Equal(3, delivery.Attempts);
        Assert.Equal("HTTP 503", delivery.LastError);
        Assert.Equal(3, sender.Sent.Count);
    }

    [Fact]
    public async Task Should_keep_the_queue_within_its_bound_dropping_the_oldest()
    {
        // A receiver that never answers: every delivery stays pending.
        var sender = new FakeSender(_ => null);
        var dispatcher = Dispatcher(Settings(maxDeliveries: 2), sender);
        var jobs = new[] { Finished(JobStatus.Failed), Finished(JobStatus.Failed), Finished(JobStatus.Failed) };
        foreach (var job in jobs)
        {
            dispatcher.Tell(new JobProtocol.JobFinished(job));
        }

        await AwaitAssertAsync(async () => Assert.Single(await DeliveriesAsync(dispatcher, jobs[2].JobId)), Patience);
        Assert.Empty(await DeliveriesAsync(dispatcher, jobs[0].JobId));
        Assert.Single(await DeliveriesAsync(dispatcher, jobs[1].JobId));
        await AwaitAssertAsync(() => Assert.Equal(2, Directory.GetFiles(_storage.Path, "msg_*.json").Length), Patience);
    }

    /// <summary>Answers each attempt with <c>answer</c>; a null answer never completes (a receiver that hangs).</summary>
    private sealed class FakeSender(Func<Delivery, SendResult?> answer) : INotificationSender
    {
        public ConcurrentQueue<string> Sent { get; } = new();

        public Task<SendResult> SendAsync(NotificationTarget target, Delivery delivery, DateTimeOffset now, CancellationToken cancellationToken)
        {
            Sent.Enqueue(delivery.Id);
            return answer(delivery) is { } result ? Task.FromResult(result) : new TaskCompletionSource<SendResult>().Task;
        }
    }
}
