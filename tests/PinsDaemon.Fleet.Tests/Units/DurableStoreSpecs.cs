using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using Akka.DistributedData;
using PinsDaemon.Fleet.Replication;

namespace PinsDaemon.Fleet.Tests.Units;

/// <summary>The file durable store under a real replicator: what one node wrote is there after it restarts.</summary>
public sealed class DurableStoreSpecs : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "pinsdaemon-fleet-tests", Guid.NewGuid().ToString("N"));

    private ActorSystem Node() => ActorSystem.Create("pinsdaemon", ConfigurationFactory.ParseString($$"""
        akka.actor.provider = cluster
        akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
        akka.cluster.distributed-data.durable {
          keys = ["{{RolloutKeys.DurablePattern}}"]
          store-actor-class = "{{typeof(FileDurableStore).FullName}}, {{typeof(FileDurableStore).Assembly.GetName().Name}}"
          {{FileDurableStore.DirectorySetting}} = "{{_directory}}"
        }
        """));

    [Fact]
    public async Task Should_give_back_after_a_restart_what_was_stored_before_it()
    {
        var timeout = TimeSpan.FromSeconds(10);
        var key = new GSetKey<string>("rollout-r1-dispatched");
        using (var node = Node())
        {
            var cluster = Cluster.Get(node);
            await cluster.JoinAsync(cluster.SelfAddress);
            var replicator = DistributedData.Get(node).Replicator;
            var answer = await replicator.Ask<IUpdateResponse>(Dsl.Update(key, GSet<string>.Empty, WriteLocal.Instance, set => set.Add("pi-1")), timeout);
            Assert.IsType<UpdateSuccess>(answer);
            await CoordinatedShutdown.Get(node).Run(CoordinatedShutdown.ClrExitReason.Instance);
        }

        Assert.Single(Directory.GetFiles(_directory, "*.ddata"));
        using (var node = Node())
        {
            var cluster = Cluster.Get(node);
            await cluster.JoinAsync(cluster.SelfAddress);
            var answer = await DistributedData.Get(node).Replicator.Ask<IGetResponse>(Dsl.Get(key, ReadLocal.Instance), timeout);
            Assert.Equal(["pi-1"], Assert.IsType<GetSuccess>(answer).Get(key).Elements);
            await CoordinatedShutdown.Get(node).Run(CoordinatedShutdown.ClrExitReason.Instance);
        }
    }

    [Fact]
    public void Should_name_files_by_key_without_ever_making_a_path()
    {
        var name = FileDurableStore.FileNameOf("../../etc/passwd");
        Assert.DoesNotContain('/', name);
        Assert.Equal("../../etc/passwd", FileDurableStore.KeyOf(name));
        Assert.Null(FileDurableStore.KeyOf("not-hex.ddata"));
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
