using System.Text.Json;

namespace PinsDaemon.Cli.Tests;

/// <summary><c>pins hosts</c>, and the environment variables that stand in for the hosts file.</summary>
public sealed class HostsSpecs : IDisposable
{
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly Pins _pins = new();

    [Fact]
    public async Task Should_add_a_host_with_the_token_from_stdin_into_a_file_only_its_owner_can_read()
    {
        await using var daemon = await DaemonFixture.StartAsync("channel-dry-run.sh");
        _pins.Secret(daemon.Token);

        var added = await _pins.RunWithStdinAsync(daemon.Token + "\n", "hosts", "add", "pi", daemon.BaseAddress.ToString());

        Assert.Equal(0, added.ExitCode);
        Assert.Contains("Added pi", added.Stderr);
        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(_pins.HostsFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(_pins.HostsFile)!));
        Assert.Contains(daemon.Token, await File.ReadAllTextAsync(_pins.HostsFile));

        var jobs = await _pins.RunAsync("jobs", "--host", "pi");
        Assert.Equal(0, jobs.ExitCode);

        var list = await _pins.RunAsync("hosts", "list");
        Assert.Equal(0, list.ExitCode);
        Assert.StartsWith($"pi\t{daemon.BaseAddress}", list.Stdout);

        var json = JsonDocument.Parse((await _pins.RunAsync("hosts", "list", "--json")).Stdout).RootElement;
        var host = Assert.Single(json.EnumerateArray());
        Assert.Equal("pi", host.GetProperty("name").GetString());
        Assert.Equal(daemon.BaseAddress.ToString(), host.GetProperty("url").GetString());
        Assert.False(host.TryGetProperty("token", out _));

        var removed = await _pins.RunAsync("hosts", "remove", "pi");
        Assert.Equal(0, removed.ExitCode);
        Assert.Equal(string.Empty, (await _pins.RunAsync("hosts", "list")).Stdout);
        Assert.DoesNotContain(daemon.Token, await File.ReadAllTextAsync(_pins.HostsFile));
    }

    [Fact]
    public async Task Should_use_the_only_host_added_without_host_and_ask_for_host_when_there_are_several()
    {
        await using var daemon = await DaemonFixture.StartAsync("channel-dry-run.sh");
        _pins.Secret(daemon.Token);
        Assert.Equal(0, (await _pins.RunWithStdinAsync(daemon.Token, "hosts", "add", "one", daemon.BaseAddress.ToString())).ExitCode);

        Assert.Equal(0, (await _pins.RunAsync("jobs")).ExitCode);

        Assert.Equal(0, (await _pins.RunWithStdinAsync(daemon.Token, "hosts", "add", "two", daemon.BaseAddress.ToString())).ExitCode);
        var ambiguous = await _pins.RunAsync("jobs");
        Assert.Equal(64, ambiguous.ExitCode);
        Assert.Contains("--host", ambiguous.Stderr);

        var unknown = await _pins.RunAsync("jobs", "--host", "three");
        Assert.Equal(64, unknown.ExitCode);
        Assert.Contains("No host named 'three'", unknown.Stderr);

        var again = await _pins.RunWithStdinAsync(daemon.Token, "hosts", "add", "one", daemon.BaseAddress.ToString());
        Assert.Equal(64, again.ExitCode);
        Assert.Contains("already added", again.Stderr);
    }

    [Fact]
    public async Task Should_add_nothing_when_the_token_is_refused()
    {
        await using var daemon = await DaemonFixture.StartAsync("channel-dry-run.sh");
        var wrong = DaemonFixture.NewToken();
        _pins.Secret(wrong);

        var result = await _pins.RunWithStdinAsync(wrong, "hosts", "add", "pi", daemon.BaseAddress.ToString());

        Assert.Equal(4, result.ExitCode);
        Assert.Contains("refused the token", result.Stderr);
        Assert.False(File.Exists(_pins.HostsFile));
    }

    [Fact]
    public async Task Should_add_nothing_when_the_daemon_is_unreachable()
    {
        var token = DaemonFixture.NewToken();
        _pins.Secret(token);

        var result = await _pins.RunWithStdinAsync(token, "hosts", "add", "pi", $"http://127.0.0.1:{FreePort()}");

        Assert.Equal(5, result.ExitCode);
        Assert.Contains("Cannot reach pi", result.Stderr);
        Assert.False(File.Exists(_pins.HostsFile));
    }

    [Fact]
    public async Task Should_read_the_token_from_a_file_only_when_other_users_cannot_read_it()
    {
        await using var daemon = await DaemonFixture.StartAsync("channel-dry-run.sh");
        _pins.Secret(daemon.Token);
        var tokenFile = Path.Combine(_pins.Home, "token");
        await File.WriteAllTextAsync(tokenFile, daemon.Token + "\n");
        File.SetUnixFileMode(tokenFile, OwnerReadWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var refused = await _pins.RunAsync("hosts", "add", "pi", daemon.BaseAddress.ToString(), "--token-file", tokenFile);
        Assert.Equal(64, refused.ExitCode);
        Assert.Contains($"chmod 600 {tokenFile}", refused.Stderr);

        File.SetUnixFileMode(tokenFile, OwnerReadWrite);
        var added = await _pins.RunAsync("hosts", "add", "pi", daemon.BaseAddress.ToString(), "--token-file", tokenFile);
        Assert.Equal(0, added.ExitCode);
    }

    [Fact]
    public async Task Should_refuse_a_hosts_file_that_other_users_can_read()
    {
        await using var daemon = await DaemonFixture.StartAsync("channel-dry-run.sh");
        _pins.Secret(daemon.Token);
        Assert.Equal(0, (await _pins.RunWithStdinAsync(daemon.Token, "hosts", "add", "pi", daemon.BaseAddress.ToString())).ExitCode);
        File.SetUnixFileMode(_pins.HostsFile, OwnerReadWrite | UnixFileMode.OtherRead);

        var result = await _pins.RunAsync("jobs");

        Assert.Equal(64, result.ExitCode);
        Assert.Contains($"chmod 600 {_pins.HostsFile}", result.Stderr);
    }

    [Fact]
    public async Task Should_talk_to_the_host_named_by_PINS_URL_with_PINS_TOKEN_or_PINS_TOKEN_FILE()
    {
        await using var daemon = await DaemonFixture.StartAsync("channel-dry-run.sh");
        _pins.For(daemon);
        Assert.Equal(0, (await _pins.RunAsync("jobs")).ExitCode);

        var tokenFile = Path.Combine(_pins.Home, "token");
        await File.WriteAllTextAsync(tokenFile, daemon.Token);
        File.SetUnixFileMode(tokenFile, OwnerReadWrite);
        _pins.Environment.Remove("PINS_TOKEN");
        _pins.Environment["PINS_TOKEN_FILE"] = tokenFile;
        Assert.Equal(0, (await _pins.RunAsync("jobs")).ExitCode);

        _pins.Environment.Remove("PINS_TOKEN_FILE");
        _pins.Environment["PINS_TOKEN"] = DaemonFixture.NewToken();
        _pins.Secret(_pins.Environment["PINS_TOKEN"]);
        var refused = await _pins.RunAsync("jobs");
        Assert.Equal(4, refused.ExitCode);
    }

    [Fact]
    public async Task Should_exit_5_when_PINS_URL_points_at_nothing()
    {
        _pins.Environment["PINS_URL"] = $"http://127.0.0.1:{FreePort()}";
        _pins.Environment["PINS_TOKEN"] = DaemonFixture.NewToken();
        _pins.Secret(_pins.Environment["PINS_TOKEN"]);

        var result = await _pins.RunAsync("jobs");

        Assert.Equal(5, result.ExitCode);
        Assert.Contains("Cannot reach", result.Stderr);
    }

    internal static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose() => _pins.Dispose();
}
