using Akka.Event;
using PinsDaemon.Contracts;

namespace PinsDaemon.Actors.Storage;

/// <summary>
/// Writes one job's <c>job.json</c> and <c>run.json</c> off the actor's thread, one write at a
/// time, in the order asked: an older state can never land after a newer one.
/// </summary>
public sealed class JobFileWriter(JobStore store, JobId id, ILoggingAdapter log)
{
    private readonly OrderedWrites _writes = new();

    public Task WriteMeta(JobSnapshot snapshot) => Enqueue(() => store.WriteMeta(snapshot), "its state");

    public Task WriteRunState(RunState run) => Enqueue(() => store.WriteRunState(id, run), "its run");

    /// <summary>Completes once every write asked so far is done.</summary>
    public Task Flushed => _writes.Flushed;

    private Task Enqueue(Action write, string what) =>
        _writes.Enqueue(write, ex => log.Warning("Job {0}: could not store {1}: {2}", id, what, ex.Message));
}
