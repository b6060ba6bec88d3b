using PinsDaemon.Contracts;
using Xunit;

namespace PinsDaemon.Actors.Tests.Contracts;

public sealed class ControlCharactersSpecs
{
    [Fact]
    public void Should_show_c0_controls_and_del_as_control_pictures_and_keep_tab()
    {
        Assert.Equal("\u241B[31mred\u241B[0m", ControlCharacters.Neutralize("\u001b[31mred\u001b[0m"));
        Assert.Equal("\u2400\u2407\u240A\u240D\u241F\u2421", ControlCharacters.Neutralize("\u0000\u0007\n\r\u001f\u007f"));
        Assert.Equal("a\tb", ControlCharacters.Neutralize("a\tb"));
    }

    [Fact]
    public void Should_replace_c1_controls_with_the_replacement_character()
    {
        Assert.Equal("\uFFFD[2J \uFFFD", ControlCharacters.Neutralize("\u009b[2J \u0080"));
        // The first character past the C1 block is ordinary text.
        Assert.Equal("\u00a0é", ControlCharacters.Neutralize("\u00a0é"));
    }

    [Fact]
    public void Should_keep_the_length_and_return_ordinary_text_unchanged()
    {
        var plain = "Unpacking zip (3.0-13+deb12u1) over (3.0-13) ... café ✓";
        Assert.Same(plain, ControlCharacters.Neutralize(plain));

        var all = new string(Enumerable.Range(0, 0x100).Select(c => (char)c).ToArray());
        var safe = ControlCharacters.Neutralize(all);
        Assert.Equal(all.Length, safe.Length);
        Assert.All(safe.Where(c => c != '\t'), c => Assert.False(char.IsControl(c)));
    }
}
