using PinsDaemon.Actors.Apt;
using Xunit;

namespace PinsDaemon.Actors.Tests.Apt;

/// <summary>The kept-back and autoremovable lists of real apt 2.6 simulations (tests/fixtures/apt).</summary>
public sealed class AptNoticeParserSpecs
{
    private static AptNoticeParser Parse(string fixture, int maxEntries = 100)
    {
        var parser = new AptNoticeParser(maxEntries);
        foreach (var line in File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "fixtures", "apt", fixture)))
        {
            parser.Observe(line);
        }

        return parser;
    }

    [Fact]
    public void Should_read_held_and_autoremovable_packages()
    {
        var parser = Parse("dry-run-held-autoremovable.txt");
        Assert.Equal(["zip"], parser.KeptBack);
        Assert.Equal(["libncurses6", "libtext-charwidth-perl"], parser.Autoremovable);
    }

    [Fact]
    public void Should_not_take_upgraded_packages_for_kept_back_ones()
    {
        var parser = Parse("dry-run-upgradable-autoremovable.txt");
        Assert.Empty(parser.KeptBack);
        Assert.Equal(["libncurses6", "libtext-charwidth-perl"], parser.Autoremovable);
        Assert.Empty(Parse("dry-run.txt").KeptBack);
        Assert.Equal(["zip"], Parse("dry-run-kept-back.txt").KeptBack);
    }

    [Fact]
    public void Should_keep_at_most_the_bound()
    {
        var parser = new AptNoticeParser(maxEntries: 2);
        parser.Observe("The following packages have been kept back:");
        parser.Observe("  a b c d");
        parser.Observe("  e");
        Assert.Equal(["a", "b"], parser.KeptBack);
    }
}
