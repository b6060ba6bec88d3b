using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using PinsDaemon.Host.Configuration;
using PinsDaemon.Host.Fleet;

namespace PinsDaemon.Host.Activation;

internal static class ActivationExtensions
{
    /// <summary>
    /// What keeps the daemon busy (<see cref="IActivitySource"/>), the memory it gives back once
    /// idle (<see cref="MemoryRelease"/>), and socket activation (<c>ops/pinsdaemon.socket</c>): when systemd passed listening sockets,
    /// Kestrel listens on exactly those, behind the <see cref="ListenerGate"/>, and
    /// <see cref="IdleExit"/> stops the daemon when nothing uses it. Without passed sockets
    /// nothing changes: the daemon binds <c>--urls</c> itself and stays up.
    /// </summary>
    public static WebApplicationBuilder AddActivity(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<DaemonOptions>()
            .BindSection(DaemonOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<IActivitySource, JobsActivity>();
        builder.Services.AddSingleton<IActivitySource, LogStreamsActivity>();
        builder.Services.AddSingleton<ActivityMonitor>();
        builder.Services.AddHostedService<MemoryRelease>();
        if (!SystemdSockets.Passed)
        {
            return builder;
        }

        // The socket unit says where to listen; --urls (the service's ExecStart=) is for starts
        // without it, and would only earn an "overriding addresses" warning here.
        builder.WebHost.UseSetting(WebHostDefaults.ServerUrlsKey, string.Empty);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            foreach (var descriptor in SystemdSockets.Descriptors)
            {
                kestrel.ListenHandle((ulong)descriptor);
            }
        });

        var gate = new ListenerGate();
        builder.Services.AddSingleton(gate);
        var sockets = builder.Services.Single(d => d.ServiceType == typeof(IConnectionListenerFactory) && d.ImplementationType == typeof(SocketTransportFactory));
        builder.Services.Remove(sockets);
        builder.Services.AddSingleton<SocketTransportFactory>();
        builder.Services.AddSingleton<IConnectionListenerFactory>(services => new GatedListenerFactory(services.GetRequiredService<SocketTransportFactory>(), gate));

        builder.Services.AddSingleton<IActivitySource>(new ConnectionsActivity(gate));
        // A fleet member stays up: exiting would take it out of its cluster until a client
        // happens to connect to it.
        if (!FleetWiring.IsEnabled(builder.Configuration))
        {
            builder.Services.AddHostedService<IdleExit>();
        }

        return builder;
    }
}
