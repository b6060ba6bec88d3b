namespace PinsDaemon.Cli.Tests;

/// <summary>The command line itself: help, exit codes, usage errors.</summary>
public sealed class CommandLineSpecs : IDisposable
{
    private readonly Pins _pins = new();

    [Fact]
    public async Task Should_list_every_command_and_the_exit_codes_in_help()
    {
        var help = await _pins.RunAsync("--help");

        Assert.Equal(0, help.ExitCode);
        foreach (var command in new[] { "hosts", "upgrade", "jobs", "show", "logs", "cancel", "fleet", "--json" })
        {
            Assert.Contains(command, help.Stdout);
        }

        foreach (var code in new[] { "0 ", "1 ", "2 ", "3 ", "4 ", "5 ", "64 " })
        {
            Assert.Contains($"\n  {code}", help.Stdout);
        }

        var upgradeHelp = await _pins.RunAsync("upgrade", "--help");
        foreach (var option in new[] { "--dry-run", "--follow", "--yes", "--host", "--exit-reboot", "Exit codes:" })
        {
            Assert.Contains(option, upgradeHelp.Stdout);
        }

        var logsHelp = await _pins.RunAsync("logs", "--help");
        Assert.Contains("--after", logsHelp.Stdout);
        Assert.Contains("--follow", logsHelp.Stdout);

        var rolloutHelp = await _pins.RunAsync("fleet", "rollout", "--help");
        foreach (var option in new[] { "--dry-run", "--hosts", "--all", "--canary", "--batch-size", "--max-failures", "--reboot", "--follow", "--yes", "show", "pause", "resume", "cancel", "Exit codes:" })
        {
            Assert.Contains(option, rolloutHelp.Stdout);
        }
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("upgrade", "--no-such-option")]
    [InlineData("show", "not-a-job-id")]
    [InlineData("show")]
    [InlineData("logs", "3f2504e0-4f89-41d3-9a0c-0305e82c3301", "--after", "-1")]
    [InlineData("hosts", "add", "pi")]
    [InlineData("hosts", "add", "pi\n", "http://127.0.0.1:1/")]
    [InlineData("hosts", "add", "pi", "ftp://127.0.0.1/")]
    [InlineData("hosts", "add", "pi", "http://user:secret@127.0.0.1/")]
    [InlineData("hosts", "remove", "never-added")]
    [InlineData("fleet", "rollout", "--dry-run")]
    [InlineData("fleet", "rollout", "--dry-run", "--all", "--hosts", "pi-1")]
    [InlineData("fleet", "rollout", "--dry-run", "--hosts", "pi-1,../pi-2")]
    [InlineData("fleet", "rollout", "--dry-run", "--hosts", "pi-1,pi-1")]
    [InlineData("fleet", "rollout", "--dry-run", "--all", "--batch-size", "0")]
    [InlineData("fleet", "rollout", "--dry-run", "--all", "--reboot", "always")]
    [InlineData("fleet", "rollout", "--all")]
    [InlineData("fleet", "rollout", "show", "not-a-rollout-id")]
    [InlineData("fleet", "rollout", "show", "3f2504e0-4f89-41d3-9a0c-0305e82c3301", "--after", "pi-1:5")]
    [InlineData("fleet", "rollout", "show", "3f2504e0-4f89-41d3-9a0c-0305e82c3301", "--follow", "--after", "pi-1")]
    public async Task Should_exit_64_on_a_usage_error(params string[] args)
    {
        var result = await _pins.RunAsync(args);

        Assert.Equal(64, result.ExitCode);
        Assert.Equal(string.Empty, result.Stdout);
        Assert.StartsWith("pins: ", result.Stderr);
    }

    [Fact]
    public async Task Should_repeat_hostile_input_back_with_control_characters_shown_as_the_daemon_shows_them()
    {
        // A window-title escape (OSC ... BEL) and a C1 CSI, as a job id.
        var result = await _pins.RunAsync("show", "\u001b]0;owned\u0007 \u009b31m");

        Assert.Equal(64, result.ExitCode);
        Assert.DoesNotContain(result.Stderr, c => char.IsControl(c) && c is not '\n');
        // ControlCharacters.Neutralize, shared with the daemon: C0 as control pictures, C1 as U+FFFD.
        Assert.Contains("'\u241B]0;owned\u2407 \uFFFD31m' is not a job id", result.Stderr);
    }

    [Fact]
    public async Task Should_exit_64_when_no_host_is_configured_and_say_how_to_add_one()
    {
        var result = await _pins.RunAsync("jobs");

        Assert.Equal(64, result.ExitCode);
        Assert.Contains("pins hosts add NAME URL", result.Stderr);
        Assert.Contains("PINS_URL", result.Stderr);
    }

    [Fact]
    public async Task Should_refuse_a_token_given_as_an_argument_without_repeating_it()
    {
        const string token = "pasted-token-0123456789abcdef0123456789";
        var result = await _pins.RunAsync("hosts", "add", "pi", "http://127.0.0.1:1/", token);

        Assert.Equal(64, result.ExitCode);
        Assert.DoesNotContain(token, result.Stderr);
        Assert.Contains("stdin", result.Stderr);
        Assert.False(File.Exists(_pins.HostsFile));
    }

    [Theory]
    [InlineData("PINS_URL", "http://127.0.0.1:1/")]
    [InlineData("PINS_TOKEN", "some-token-0123456789abcdef0123456789")]
    [InlineData("PINS_TOKEN_FILE", "/nonexistent")]
    public async Task Should_exit_64_when_the_environment_names_a_host_by_halves(string variable, string value)
    {
        _pins.Environment[variable] = value;

        var result = await _pins.RunAsync("jobs");

        Assert.Equal(64, result.ExitCode);
        Assert.Contains(variable == "PINS_URL" ? "neither PINS_TOKEN nor PINS_TOKEN_FILE" : "PINS_URL is not", result.Stderr);
    }

    [Fact]
    public async Task Should_exit_64_when_both_token_variables_are_set()
    {
        _pins.Environment["PINS_URL"] = "http://127.0.0.1:1/";
        _pins.Environment["PINS_TOKEN"] = "some-token-0123456789abcdef0123456789";
        _pins.Environment["PINS_TOKEN_FILE"] = "/nonexistent";

        var result = await _pins.RunAsync("jobs");

        Assert.Equal(64, result.ExitCode);
        Assert.Contains("Both PINS_TOKEN and PINS_TOKEN_FILE", result.Stderr);
    }

    public void Dispose() => _pins.Dispose();
}
