using Akka.Actor;
using PinsDaemon.Actors.Jobs;

namespace PinsDaemon.Host.Metrics;

/// <summary>Counts every job this daemon ran as it ends, from the supervisor's <see cref="JobProtocol.JobFinished"/> events.</summary>
internal sealed class JobMetricsRecorder : ReceiveActor
{
    public JobMetricsRecorder(PinsMetrics metrics)
    {
        Receive<JobProtocol.JobFinished>(finished => metrics.RecordJob(finished.Job));
    }

    public static Props Props(PinsMetrics metrics) => Akka.Actor.Props.Create(() => new JobMetricsRecorder(metrics));

    protected override void PreStart() => Context.System.EventStream.Subscribe(Self, typeof(JobProtocol.JobFinished));

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);
}
