using Akka.Hosting;
using PinsDaemon.Actors.Jobs;
using PinsDaemon.Fleet.Agents;
using PinsDaemon.Host.Endpoints;

namespace PinsDaemon.Host.Fleet;

/// <summary>
/// A rollout's reboot (<c>reboot: "ifRequired"</c>) goes the way <c>POST /reboot</c> goes: through
/// the job supervisor and the root script's fixed reboot form, audited. Registered only with
/// <c>Host:AllowReboot=true</c>, which is the host's opt-in. The supervisor is taken when first
/// asked: it does not exist yet when the fleet's actors are configured.
/// </summary>
internal sealed class SupervisorRebootRequester(Lazy<IRequiredActor<JobSupervisor>> jobs, ILogger audit) : IRebootRequester
{
    public async Task RequestAsync(string rolloutId, CancellationToken cancellationToken)
    {
        var client = HostAgent.ClientOf(rolloutId);
        switch (await jobs.Value.ActorRef.TryAskAsync<JobProtocol.IRebootReply>(new JobProtocol.RequestReboot(Cancel: false), cancellationToken))
        {
            case JobProtocol.RebootDone done:
                audit.LogInformation("Reboot accepted for {Client}: reboot at {RebootAt}", client, done.RebootAt?.ToString("u") ?? "none");
                return;
            case JobProtocol.RebootRefused refused:
                audit.LogWarning("Reboot refused for {Client}: {Reason}", client, refused.Reason);
                throw new InvalidOperationException(refused.Reason);
            case JobProtocol.RebootFailed failed:
                audit.LogError("Reboot failed for {Client}: exit code {ExitCode}", client, failed.ExitCode);
                throw new InvalidOperationException($"the root script exited with code {failed.ExitCode}");
            default:
                throw new TimeoutException("the job supervisor did not answer");
        }
    }
}
