using PinsDaemon.Actors.Runs;
using PinsDaemon.Actors.Tests.TestSupport;
using Xunit;

namespace PinsDaemon.Actors.Tests.Runs;

/// <summary>
/// A run's unit looked at through its control group, in the three layouts systemd uses:
/// cgroup v2, a v1/v2 hybrid (the lab's), and v1 alone. A fake cgroup tree in a temporary
/// directory stands in for /sys/fs/cgroup.
/// </summary>
public sealed class UnitCgroupSpecs : IDisposable
{
    private const string Unit = "pinsdaemon-upgrade@apply-3f2504e0-4f89-41d3-9a0c-0305e82c3301.service";
    private const string Slice = "system.slice/system-pinsdaemon\\x2dupgrade.slice";
    private readonly TempDirectory _root = new();

    public void Dispose() => _root.Dispose();

    private void Write(string relative, string content)
    {
        var path = Path.Combine(_root.Path, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    [Theory]
    [InlineData("")]
    [InlineData("unified")]
    public void Should_read_whether_the_unit_holds_a_process_from_the_unified_hierarchy(string mount)
    {
        Write(Path.Combine(mount, "cgroup.controllers"), "cpu memory pids\n");
        Assert.Equal(RunLiveness.Gone, UnitCgroup.Probe(Unit, _root.Path));

        Write(Path.Combine(mount, Slice, Unit, "cgroup.events"), "populated 1\nfrozen 0\n");
        Assert.Equal(RunLiveness.Alive, UnitCgroup.Probe(Unit, _root.Path));

        Write(Path.Combine(mount, Slice, Unit, "cgroup.events"), "populated 0\nfrozen 0\n");
        Assert.Equal(RunLiveness.Gone, UnitCgroup.Probe(Unit, _root.Path));
    }

    [Fact]
    public void Should_read_the_units_processes_from_systemds_own_v1_hierarchy_without_a_unified_one()
    {
        Write("systemd/cgroup.procs", "1\n");
        Assert.Equal(RunLiveness.Gone, UnitCgroup.Probe(Unit, _root.Path));

        Write(Path.Combine("systemd", Slice, Unit, "cgroup.procs"), "4242\n");
        Assert.Equal(RunLiveness.Alive, UnitCgroup.Probe(Unit, _root.Path));

        Write(Path.Combine("systemd", Slice, Unit, "cgroup.procs"), string.Empty);
        Assert.Equal(RunLiveness.Gone, UnitCgroup.Probe(Unit, _root.Path));
    }

    [Fact]
    public void Should_say_unknown_where_there_is_no_cgroup_file_system_to_read()
    {
        Assert.Equal(RunLiveness.Unknown, UnitCgroup.Probe(Unit, _root.Path));
        Assert.Equal(RunLiveness.Unknown, UnitCgroup.Probe(Unit, Path.Combine(_root.Path, "missing")));
    }
}
