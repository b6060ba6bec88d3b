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
}
