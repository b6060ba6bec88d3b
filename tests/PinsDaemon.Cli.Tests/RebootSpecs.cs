using System.Text.Json;

namespace PinsDaemon.Cli.Tests;

/// <summary><c>pins reboot</c> and <c>pins reboot --cancel</c> against a daemon whose root script is tests/scripts/reboot.sh.</summary>
public sealed class RebootSpecs : IDisposable
{
    private readonly Pins _pins = new();

    [Fact]
    public async Task Should_reboot_only_with_yes_without_a_terminal_and_cancel_it()
    {
        await using var daemon = await DaemonFixture.StartAsync("reboot.sh", "--Host:AllowReboot=true");

        var unasked = await _pins.For(daemon).RunAsync("reboot");
        Assert.Equal(64, unasked.ExitCode);
        Assert.Contains("pins reboot --yes", unasked.Stderr);
        Assert.Equal(JsonValueKind.Null, (await daemon.Client.GetFromJsonAsync<JsonElement>("/host")).GetProperty("rebootScheduledAt").ValueKind);

        var reboot = await _pins.RunAsync("reboot", "--yes", "--json");
        Assert.True(reboot.ExitCode == 0, reboot.ToString());
        var at = JsonDocument.Parse(reboot.Stdout).RootElement.GetProperty("rebootAt").GetDateTimeOffset();
        Assert.Equal(at, (await daemon.Client.GetFromJsonAsync<JsonElement>("/host")).GetProperty("rebootScheduledAt").GetDateTimeOffset());
        Assert.Contains("pins reboot --cancel", reboot.Stderr);

        var twice = await _pins.RunAsync("reboot", "--yes");
        Assert.Equal(1, twice.ExitCode);
        Assert.Contains("already scheduled", twice.Stderr);

        var cancel = await _pins.RunAsync("reboot", "--cancel");
        Assert.True(cancel.ExitCode == 0, cancel.ToString());
        Assert.Contains("cancelled", cancel.Stderr);
        Assert.Equal(JsonValueKind.Null, (await daemon.Client.GetFromJsonAsync<JsonElement>("/host")).GetProperty("rebootScheduledAt").ValueKind);
    }

    [Fact]
    public async Task Should_say_that_the_daemon_does_not_allow_reboots()
    {
        await using var daemon = await DaemonFixture.StartAsync("reboot.sh");
        var refused = await _pins.For(daemon).RunAsync("reboot", "--yes");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("Host:AllowReboot", refused.Stderr);
    }

    public void Dispose() => _pins.Dispose();
}
