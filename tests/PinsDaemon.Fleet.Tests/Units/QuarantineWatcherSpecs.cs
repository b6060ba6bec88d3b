using Akka.Actor;
using Akka.Configuration;
using Akka.Remote;
using PinsDaemon.Fleet.Membership;

namespace PinsDaemon.Fleet.Tests.Units;

/// <summary>A node told it is quarantined stops as a downed node does, so the daemon exits non-zero and restarts.</summary>
public sealed class QuarantineWatcherSpecs
{
    [Fact]
    public async Task Should_end_the_actor_system_as_downed_once_another_node_has_quarantined_this_one()
    {
        // An actor system of its own: the watcher ends the whole system, which a TestKit's Sys must outlive.
        var system = ActorSystem.Create("quarantine-spec", ConfigurationFactory.ParseString("akka.coordinated-shutdown.exit-clr = off"));
        try
        {
            var watcher = system.ActorOf(QuarantineWatcher.Props(), QuarantineWatcher.ActorName);
            // The watcher subscribes in PreStart; an Identify round trip means PreStart has run.
            await watcher.Ask<ActorIdentity>(new Identify(null), TimeSpan.FromSeconds(30));

            system.EventStream.Publish(new ThisActorSystemQuarantinedEvent(new Address("akka.ssl.tcp", "pinsdaemon", "127.0.0.1", 2), new Address("akka.ssl.tcp", "pinsdaemon", "127.0.0.1", 1)));

            await system.WhenTerminated.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.IsType<CoordinatedShutdown.ClusterDowningReason>(CoordinatedShutdown.Get(system).ShutdownReason);
        }
        finally
        {
            await system.Terminate();
        }
    }
}
