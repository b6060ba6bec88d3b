using PinsDaemon.Fleet.Hosting;

namespace PinsDaemon.Host.Fleet;

/// <summary>
/// Reads the fleet's files (<see cref="FleetStartup"/>) as the first hosted service, before the
/// actor system starts: an unusable one stops the daemon with a <c>FleetConfigurationException</c>,
/// which Program.cs reports as a configuration error in one line (exit 78).
/// </summary>
internal sealed class FleetStartupCheck(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        services.GetRequiredService<FleetStartup>();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
