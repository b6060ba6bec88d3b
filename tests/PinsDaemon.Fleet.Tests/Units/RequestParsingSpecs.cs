using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Primitives;
using PinsDaemon.Contracts;
using PinsDaemon.Host.Fleet;

namespace PinsDaemon.Fleet.Tests.Units;

public sealed class RequestParsingSpecs
{
    private static bool Parse(string body, out RolloutRequest spec, out string problem) =>
        RolloutRequestParser.TryParse(Encoding.UTF8.GetBytes(body), out spec, out problem);

    [Fact]
    public void Should_read_a_full_rollout_request()
    {
        Assert.True(Parse("""{"dryRun": false, "hosts": ["pi-1", "pi-2"], "canary": 1, "batchSize": 2, "maxFailures": 1, "reboot": "ifRequired"}""", out var spec, out _));
        Assert.False(spec.DryRun);
        Assert.Equal(["pi-1", "pi-2"], spec.Hosts.Names);
        Assert.Equal((1, 2, 1, RebootPolicy.IfRequired), (spec.Canary, spec.BatchSize, spec.MaxFailures, spec.Reboot));
    }

    [Fact]
    public void Should_take_all_hosts_and_defaults()
    {
        Assert.True(Parse("""{"hosts": "all", "dryRun": true}""", out var spec, out _));
        Assert.True(spec.Hosts.IsAll);
        Assert.Equal((0, 1, 0, RebootPolicy.Never), (spec.Canary, spec.BatchSize, spec.MaxFailures, spec.Reboot));
        Assert.Equal((UpgradeModes.Upgrade, false), (spec.Mode, spec.Autoremove));
    }

    [Fact]
    public void Should_read_the_mode_and_autoremove_as_post_upgrade_does()
    {
        Assert.True(Parse("""{"dryRun": false, "hosts": "all", "mode": "full-upgrade", "autoremove": true}""", out var spec, out var problem), problem);
        Assert.Equal((UpgradeModes.FullUpgrade, true), (spec.Mode, spec.Autoremove));
        Assert.True(Parse("""{"dryRun": false, "hosts": "all", "mode": "upgrade", "autoremove": false}""", out spec, out problem), problem);
        Assert.Equal((UpgradeModes.Upgrade, false), (spec.Mode, spec.Autoremove));
    }

    [Fact]
    public void Should_read_a_rollout_replicated_before_modes_existed_as_an_upgrade_without_autoremove()
    {
        // As a node from before modes existed wrote it, to the replicator and its durable store.
        const string old = """
            {"rolloutId":"r","spec":{"dryRun":false,"hosts":["pi-1"],"canary":0,"batchSize":1,"maxFailures":0,"reboot":"never"},
             "status":"running","createdAt":"2026-11-01T00:00:00+00:00","hosts":[{"host":"pi-1","group":1,"state":"pending"}]}
            """;
        var record = JsonSerializer.Deserialize<Rollouts.RolloutRecord>(old, ContractJson.Options)!;

        Assert.Equal((UpgradeModes.Upgrade, false), (record.Spec.Mode, record.Spec.Autoremove));
        Assert.Equal((UpgradeModes.Upgrade, false), (record.ToView().Mode, record.ToView().Autoremove));
        var start = JsonSerializer.Deserialize<Agents.AgentProtocol.StartRolloutJob>("""{"rolloutId":"r","dryRun":true}""", ContractJson.Options)!;
        Assert.Equal((UpgradeModes.Upgrade, false), (start.Mode, start.Autoremove));
    }

    [Fact]
    public void Should_read_exactly_what_a_client_writes_with_the_contract()
    {
        foreach (var request in new[]
                 {
                     new RolloutRequest(true, RolloutHosts.All),
                     new RolloutRequest(false, RolloutHosts.Named(["pi-2", "pi-1"]), Canary: 1, BatchSize: 2, MaxFailures: 1, Reboot: RebootPolicy.IfRequired),
                     new RolloutRequest(false, RolloutHosts.All) { Mode = UpgradeModes.FullUpgrade, Autoremove = true },
                 })
        {
            var json = JsonSerializer.SerializeToUtf8Bytes(request, ContractJson.Options);
            Assert.True(RolloutRequestParser.TryParse(json, out var read, out var problem), problem);
            Assert.Equal(request, read);
            Assert.Equal(request, JsonSerializer.Deserialize<RolloutRequest>(json, ContractJson.Options));
        }

        Assert.Contains("\"hosts\":\"all\"", JsonSerializer.Serialize(new RolloutRequest(true, RolloutHosts.All), ContractJson.Options));
    }

    [Theory]
    [InlineData("""{"hosts": "all"}""", "'dryRun' is missing")]
    [InlineData("""{"dryRun": true}""", "'hosts' is missing")]
    [InlineData("""{"dryRun": "true", "hosts": "all"}""", "'dryRun' must be true or false")]
    [InlineData("""{"dryrun": true, "hosts": "all"}""", "Unknown member 'dryrun'")]
    [InlineData("""{"dryRun": true, "dryRun": false, "hosts": "all"}""", "appears twice")]
    [InlineData("""{"dryRun": true, "hosts": []}""", "'hosts' is empty")]
    [InlineData("""{"dryRun": true, "hosts": "everything"}""", "\"all\" or an array")]
    [InlineData("""{"dryRun": true, "hosts": ["pi-1", "pi-1"]}""", "names pi-1 twice")]
    [InlineData("""{"dryRun": true, "hosts": ["../etc"]}""", "node name")]
    [InlineData("""{"dryRun": true, "hosts": "all", "batchSize": 0}""", "'batchSize' must be a whole number from 1")]
    [InlineData("""{"dryRun": true, "hosts": "all", "canary": 1.5}""", "'canary' must be a whole number")]
    [InlineData("""{"dryRun": true, "hosts": "all", "maxFailures": -1}""", "'maxFailures' must be a whole number")]
    [InlineData("""{"dryRun": true, "hosts": "all", "reboot": "always"}""", "'reboot' must be")]
    [InlineData("""{"dryRun": true, "hosts": "all", "mode": "dist-upgrade"}""", "Unknown mode 'dist-upgrade'")]
    [InlineData("""{"dryRun": true, "hosts": "all", "mode": "Full-Upgrade"}""", "Unknown mode")]
    [InlineData("""{"dryRun": true, "hosts": "all", "mode": null}""", "'mode' must be \"upgrade\" or \"full-upgrade\", not a JSON null")]
    [InlineData("""{"dryRun": true, "hosts": "all", "mode": "upgrade", "mode": "full-upgrade"}""", "appears twice")]
    [InlineData("""{"dryRun": true, "hosts": "all", "autoremove": "yes"}""", "'autoremove' must be true or false")]
    [InlineData("""{"dryRun": true, "hosts": "all"} {}""", "not valid JSON")]
    [InlineData("""[]""", "not a JSON object")]
    public void Should_refuse_anything_else_with_a_message_naming_it(string body, string expected)
    {
        Assert.False(Parse(body, out _, out var problem));
        Assert.Contains(expected, problem);
    }

    [Theory]
    [InlineData("pi-1.local:2552", "akka.ssl.tcp://pinsdaemon@pi-1.local:2552")]
    [InlineData("192.168.1.20:4053", "akka.ssl.tcp://pinsdaemon@192.168.1.20:4053")]
    [InlineData("akka.ssl.tcp://pinsdaemon@10.0.0.5:2552", "akka.ssl.tcp://pinsdaemon@10.0.0.5:2552")]
    public void Should_turn_seeds_into_tls_addresses(string seed, string address)
    {
        Assert.True(FleetSeeds.TryNormalise(seed, out var normalised, out _));
        Assert.Equal(address, normalised);
    }

    [Theory]
    [InlineData("akka.tcp://pinsdaemon@10.0.0.5:2552")]
    [InlineData("akka.ssl.tcp://other@10.0.0.5:2552")]
    [InlineData("pi-1")]
    [InlineData("pi-1:0")]
    [InlineData("pi-1:99999")]
    [InlineData("pi 1:2552")]
    public void Should_refuse_seeds_that_are_not_tls_addresses_of_the_fleet(string seed)
    {
        Assert.False(FleetSeeds.TryNormalise(seed, out _, out var problem));
        Assert.NotEmpty(problem);
    }

    [Fact]
    public void Should_read_after_per_host()
    {
        Assert.True(FleetLogPositions.TryParse(new StringValues(["pi-1:42,pi-2:0", "ctl:7"]), out var after));
        Assert.Equal(new Dictionary<string, long> { ["pi-1"] = 42, ["pi-2"] = 0, ["ctl"] = 7 }, after);
        Assert.True(FleetLogPositions.TryParse(StringValues.Empty, out var none));
        Assert.Empty(none);
    }

    [Fact]
    public void Should_write_after_as_it_is_read()
    {
        var positions = new Dictionary<string, long> { ["pi-2"] = 17, ["pi-1"] = 42, ["ctl"] = 0 };
        var text = FleetLogPositions.Format(positions);

        Assert.Equal("pi-1:42,pi-2:17", text);
        Assert.True(FleetLogPositions.TryParse([text], out var read));
        Assert.Equal(new Dictionary<string, long> { ["pi-1"] = 42, ["pi-2"] = 17 }, read);
    }

    [Theory]
    [InlineData("pi-1")]
    [InlineData("pi-1:-1")]
    [InlineData("pi-1:1,pi-1:2")]
    [InlineData(":5")]
    [InlineData("pi/1:5")]
    public void Should_refuse_a_malformed_after(string value)
    {
        Assert.False(FleetLogPositions.TryParse(new StringValues(value), out _));
    }
}
