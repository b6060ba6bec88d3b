using Microsoft.Extensions.Options;
using PinsDaemon.Host.Tests.TestSupport;

namespace PinsDaemon.Host.Tests;

public sealed class StartupSpecs
{
    private static async Task<string> StartupFailureAsync(params string[] args)
    {
        await using var app = DaemonFixture.Build(["--urls", "http://127.0.0.1:0", "--Upgrade:UseSudo=false", .. args]);
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        return string.Join(" ", ex.Failures);
    }

    [Fact]
    public async Task Should_refuse_to_start_without_a_token_naming_the_setting()
    {
        var message = await StartupFailureAsync();
        Assert.Contains("API_TOKEN", message);
        Assert.Contains("Auth:TokenFile", message);
    }

    [Fact]
    public async Task Should_refuse_a_token_shorter_than_32_characters()
    {
        var message = await StartupFailureAsync("--API_TOKEN=" + new string('a', 31));
        Assert.Contains("API_TOKEN", message);
        Assert.Contains("at least 32", message);
    }

    [Fact]
    public async Task Should_read_the_token_from_a_file_ignoring_a_trailing_newline()
    {
        var token = DaemonFixture.NewToken();
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, token + "\n");
        try
        {
            await using var app = DaemonFixture.Build(["--urls", "http://127.0.0.1:0", "--Upgrade:UseSudo=false", $"--Auth:TokenFile={file}"]);
            await app.StartAsync();
            var verifier = app.Services.GetRequiredService<Auth.TokenVerifier>();
            Assert.True(verifier.Verify(token));
            Assert.False(verifier.Verify(token + "\n"));
            await app.StopAsync();
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Should_refuse_a_token_file_that_cannot_be_read_naming_it()
    {
        var message = await StartupFailureAsync("--Auth:TokenFile=/nonexistent/token");
        Assert.Contains("Auth:TokenFile", message);
        Assert.Contains("/nonexistent/token", message);
    }

    [Fact]
    public async Task Should_refuse_two_token_sources()
    {
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, DaemonFixture.NewToken());
        try
        {
            var message = await StartupFailureAsync($"--API_TOKEN={DaemonFixture.NewToken()}", $"--Auth:TokenFile={file}");
            Assert.Contains("exactly one", message);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Should_refuse_a_relative_script_path()
    {
        var message = await StartupFailureAsync($"--API_TOKEN={DaemonFixture.NewToken()}", "--Upgrade:ScriptPath=system-upgrade.sh");
        Assert.Contains("Upgrade:ScriptPath", message);
    }

    [Theory]
    [InlineData("--Network:MaxConnectionsPerAddress=0", "Network:MaxConnectionsPerAddress")]
    [InlineData("--Network:RequestTimeoutSeconds=0", "Network:RequestTimeoutSeconds")]
    [InlineData("--Network:RequestTimeoutSeconds=301", "Network:RequestTimeoutSeconds")]
    public async Task Should_refuse_an_out_of_range_network_setting_naming_it(string setting, string name)
    {
        var message = await StartupFailureAsync($"--API_TOKEN={DaemonFixture.NewToken()}", setting);
        Assert.Contains(name, message);
    }

    private sealed record DaemonRun(int ExitCode, List<string> Output, List<string> Errors)
    {
        public IEnumerable<string> All => Output.Concat(Errors);
    }

    /// <summary>
    /// Runs the real daemon process until it exits, or until every one of <paramref name="stopOnceSeen"/>
    /// has appeared in its output (then kills it), and returns its exit code and what it printed.
    /// </summary>
    private static async Task<DaemonRun> RunDaemonAsync(string[] args, params string[] stopOnceSeen)
    {
        var startInfo = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        startInfo.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "pinsdaemon.dll"));
        foreach (var arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        startInfo.Environment["API_TOKEN"] = DaemonFixture.NewToken();
        using var process = System.Diagnostics.Process.Start(startInfo)!;
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var errors = new System.Collections.Concurrent.ConcurrentQueue<string>();
        async Task CollectAsync(StreamReader reader, System.Collections.Concurrent.ConcurrentQueue<string> lines)
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                lines.Enqueue(line);
                if (stopOnceSeen.Length > 0 && stopOnceSeen.All(wanted => output.Concat(errors).Any(l => l.Contains(wanted))))
                {
                    process.Kill();
                }
            }
        }

        var readers = Task.WhenAll(CollectAsync(process.StandardOutput, output), CollectAsync(process.StandardError, errors));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        await readers.WaitAsync(timeout.Token);
        return new DaemonRun(process.ExitCode, [.. output], [.. errors]);
    }

    private static string[] DaemonArgs(params string[] extra) =>
        ["--Upgrade:UseSudo=false", $"--Storage:Directory={DaemonFixture.NewStorageDirectory()}", .. extra];

    private static void AssertNoStackTrace(DaemonRun run)
    {
        Assert.DoesNotContain(run.All, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
        Assert.DoesNotContain(run.All, l => l.StartsWith("fail:", StringComparison.Ordinal) || l.StartsWith("crit:", StringComparison.Ordinal));
        Assert.DoesNotContain(run.All, l => l.Contains("Unhandled exception"));
    }

    [Fact]
    public async Task Should_say_in_one_line_that_the_port_is_in_use_and_exit_with_69()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var address = $"http://127.0.0.1:{((System.Net.IPEndPoint)taken.LocalEndpoint).Port}";

        var run = await RunDaemonAsync(DaemonArgs("--urls", address));

        Assert.Equal(69, run.ExitCode);
        var line = Assert.Single(run.Errors);
        Assert.StartsWith("pinsdaemon: ", line);
        Assert.Contains(address, line);
        Assert.Contains("in use", line);
        AssertNoStackTrace(run);
    }

    [Theory]
    [InlineData("--Upgrade:Timeout=abc", "Upgrade:Timeout")]
    [InlineData("--Network:RequestTimeoutSeconds=0", "Network:RequestTimeoutSeconds")]
    [InlineData("--Kestrel:Certificates:Default:Path=/nonexistent/tls.crt", "Kestrel:Certificates:Default:Path")]
    [InlineData("--Daemon:IdleExitAfter=soon", "Daemon:IdleExitAfter")]
    [InlineData("--Daemon:IdleExitAfter=8.00:00:00", "Daemon:IdleExitAfter")]
    [InlineData("--Schedule:CheckEvery=00:00:30", "Schedule:CheckEvery")]
    [InlineData("--Schedule:RandomDelay=8.00:00:00", "Schedule:RandomDelay")]
    public async Task Should_report_a_configuration_error_in_one_line_without_a_stack_trace_and_exit_with_78(string setting, string name)
    {
        var run = await RunDaemonAsync(DaemonArgs("--urls", "http://127.0.0.1:0", setting));

        Assert.Equal(78, run.ExitCode);
        var line = Assert.Single(run.All);
        Assert.StartsWith("pinsdaemon: configuration error: ", line);
        Assert.Contains(name, line);
    }

    [Fact]
    public async Task Should_warn_once_that_the_root_script_is_missing_and_still_start()
    {
        var run = await RunDaemonAsync(
            DaemonArgs("--urls", "http://127.0.0.1:0", "--Upgrade:UseSudo=true", "--Upgrade:ScriptPath=/nonexistent/system-upgrade.sh"),
            "Application started",
            "does not exist");

        Assert.Single(run.All, l => l.Contains("'/nonexistent/system-upgrade.sh' does not exist"));
    }
}
