namespace PinsDaemon.Cli.Tests;

/// <summary>
/// pins on a terminal (a pseudo-terminal from util-linux script): a progress line, the plan as
/// a table, questions, and a token prompt that does not echo.
/// </summary>
public sealed class TerminalSpecs : IDisposable
{
    private readonly Pins _pins = new();

    [Fact]
    public async Task Should_show_the_plan_and_upgrade_only_after_yes()
    {
        await using var daemon = await DaemonFixture.StartAsync("channel-dry-run.sh");

        var result = await _pins.For(daemon).RunOnTerminalAsync(["upgrade", "--follow"], ("[y/n]", "y\n"));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Package", result.Stdout);
        Assert.Contains("3.0-13+deb12u1", result.Stdout);
        Assert.Contains("Upgrade ", result.Stdout);
        Assert.Contains("\u001b[2K", result.Stdout);
        Assert.Contains("━", result.Stdout);
        var jobs = await DaemonLog.JobsAsync(daemon);
        Assert.Equal([false, true], jobs.Select(j => j.GetProperty("dryRun").GetBoolean()));
    }

    [Fact]
    public async Task Should_upgrade_nothing_when_the_answer_is_no()
    {
        await using var daemon = await DaemonFixture.StartAsync("channel-dry-run.sh");

        var result = await _pins.For(daemon).RunOnTerminalAsync(["upgrade"], ("[y/n]", "n\n"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Nothing was upgraded", result.Stdout);
        var job = Assert.Single(await DaemonLog.JobsAsync(daemon));
        Assert.True(job.GetProperty("dryRun").GetBoolean());
    }

    [Fact]
    public async Task Should_ask_for_the_token_without_echoing_it()
    {
        await using var daemon = await DaemonFixture.StartAsync("channel-dry-run.sh");
        _pins.Secret(daemon.Token);

        var result = await _pins.RunOnTerminalAsync(["hosts", "add", "pi", daemon.BaseAddress.ToString()], ("Token (input hidden):", daemon.Token + "\n"));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Token", result.Stdout);
        Assert.Contains(daemon.Token, await File.ReadAllTextAsync(_pins.HostsFile));
    }

    [Theory]
    [InlineData("y", 0)]
    [InlineData("n", 2)]
    public async Task Should_show_a_new_certificate_and_pin_it_only_when_told_to(string answer, int exitCode)
    {
        using var certificates = new TestCertificates();
        var (certificate, fingerprint) = await certificates.CreateAsync("host");
        var token = DaemonFixture.NewToken();
        _pins.Secret(token);
        await using var daemon = await TestCertificates.StartDaemonAsync(certificate, HostsSpecs.FreePort(), token);

        var result = await _pins.RunOnTerminalAsync(
            ["hosts", "add", "pi", daemon.BaseAddress.ToString()],
            ("Token (input hidden):", token + "\n"),
            ("Pin it?", answer + "\n"));

        Assert.True(result.ExitCode == exitCode, result.ToString());
        Assert.Contains(fingerprint, result.Stdout.Replace("\r\n", string.Empty));
        Assert.Equal(exitCode == 0, File.Exists(_pins.HostsFile));
    }

    public void Dispose() => _pins.Dispose();
}
