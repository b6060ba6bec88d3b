using Akka.Actor;
using Akka.Hosting;
using PinsDaemon.Actors.Jobs;
using PinsDaemon.Contracts;
using PinsDaemon.Host.Streaming;

namespace PinsDaemon.Host.Activation;

/// <summary>Open client connections, HTTP and WebSocket alike.</summary>
internal sealed class ConnectionsActivity(ListenerGate gate) : IActivitySource
{
    public string Name => "connections";

    public ValueTask<int> CountAsync(CancellationToken cancellationToken) => ValueTask.FromResult(gate.OpenConnections);
}

/// <summary>Jobs the supervisor reports running (including those it re-attached to at start).</summary>
/// <param name="services">The supervisor is looked up when first counted: taking it in the
/// constructor would create the actor system before the settings are validated (as
/// SystemdWatchdog explains).</param>
internal sealed class JobsActivity(IServiceProvider services) : IActivitySource
{
    /// <summary>A supervisor that cannot answer this fast is busy, or stuck: either way, stay up.</summary>
    private static readonly TimeSpan AnswerWithin = TimeSpan.FromSeconds(10);

    public string Name => "jobs";

    public async ValueTask<int> CountAsync(CancellationToken cancellationToken)
    {
        var actor = await services.GetRequiredService<IRequiredActor<JobSupervisor>>().GetAsync(cancellationToken);
        var list = await actor.Ask<JobProtocol.JobList>(JobProtocol.ListJobs.Instance, AnswerWithin, cancellationToken);
        return list.Jobs.Count(job => job.Status == JobStatus.Running);
    }
}

/// <summary>Open log WebSockets (also counted among the connections when socket-activated).</summary>
internal sealed class LogStreamsActivity(LogConnectionLimiter streams) : IActivitySource
{
    public string Name => "log streams";

    public ValueTask<int> CountAsync(CancellationToken cancellationToken) => ValueTask.FromResult(streams.OpenCount());
}
