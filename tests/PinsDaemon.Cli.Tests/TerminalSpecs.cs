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
        // The dry run holds at half its download until pins has drawn that progress (told to it
        // when it joined the stream), then finishes; the upgrade after "y" runs straight through.
        using var script = new GatedScript(
            """
            N=0123456789abcdef0123456789abcdef
            s() { echo "pinsdaemon-status $N $*"; }
            echo "pinsdaemon: channel $N"
            s "mode dry-run"
            s "phase update"
            s "apt dlstatus:1:50.0000:Retrieving file 1 of 2"
            """,
            """
            s "phase simulate"
            echo "Inst zip [3.0-13] (3.0-13+deb12u1 Debian-Security:12/stable-security [amd64])"
            echo "Conf zip (3.0-13+deb12u1 Debian-Security:12/stable-security [amd64])"
            s "exit 0"
            """);
        await using var daemon = await DaemonFixture.StartAsync(script.Name);

        using var run = _pins.For(daemon).StartOnTerminal("upgrade", "--follow");
        await run.WaitForStdoutAsync("━");
        script.Open();
        await run.WaitForStdoutAsync("[y/n]");
        await run.TypeAsync("y\n");
        var result = await run.WaitAsync();

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
