using System.Net;
using System.Net.Http.Headers;
using PinsDaemon.Host.HostStatus;
using PinsDaemon.Host.Tests.TestSupport;

namespace PinsDaemon.Host.Tests;

/// <summary><c>GET /metrics</c>: its own read-only token, node_exporter's apt names, the daemon's own counters.</summary>
public sealed class MetricsSpecs
{
    private static string TokenFile(out string token)
    {
        token = DaemonFixture.NewToken();
        var path = Path.Combine(Path.GetTempPath(), $"pinsdaemon-metrics-{Guid.NewGuid():N}");
        File.WriteAllText(path, token + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    private static HttpRequestMessage Get(string path, string token) =>
        new(HttpMethod.Get, path) { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", token) } };

    [Fact]
    public async Task Should_take_only_the_metrics_token_on_metrics_and_only_the_admin_token_elsewhere()
    {
        var file = TokenFile(out var metricsToken);
        try
        {
            // Two failed attempts per address are allowed: scrapes must not count as failures.
            await using var daemon = await DaemonFixture.StartAsync("channel-dry-run.sh", $"--Metrics:TokenFile={file}", "--Auth:MaxFailedAttempts=2");
            for (var i = 0; i < 5; i++)
            {
                using var scrape = await daemon.Anonymous.SendAsync(Get("/metrics", metricsToken));
                Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
                Assert.StartsWith("text/plain", scrape.Content.Headers.ContentType!.ToString());
            }

            // No credentials at all is refused, but is not a failed guess.
            using (var none = await daemon.Anonymous.GetAsync("/metrics"))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
            }

            using var admin = await daemon.Anonymous.SendAsync(Get("/metrics", daemon.Token));
            Assert.Equal(HttpStatusCode.Unauthorized, admin.StatusCode);
            Assert.Contains("never the admin token", await admin.Content.ReadAsStringAsync());

            using var elsewhere = await daemon.Anonymous.SendAsync(Get("/jobs", metricsToken));
            Assert.Equal(HttpStatusCode.Unauthorized, elsewhere.StatusCode);

            // Those two failures used up the address's allowance: a further wrong token on /metrics
            // is throttled like any guess, while the right one still scrapes (as the admin token
            // still works from a throttled address).
            using var throttled = await daemon.Anonymous.SendAsync(Get("/metrics", daemon.Token));
            Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
            using var still = await daemon.Anonymous.SendAsync(Get("/metrics", metricsToken));
            Assert.Equal(HttpStatusCode.OK, still.StatusCode);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Should_refuse_everyone_when_no_metrics_token_is_configured()
    {
        await using var daemon = await DaemonFixture.StartAsync("channel-dry-run.sh");
        using var admin = await daemon.Client.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.Unauthorized, admin.StatusCode);
        using var anonymous = await daemon.Anonymous.GetAsync("/metrics");
        Assert.Contains("Metrics:TokenFile", await anonymous.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Should_refuse_to_start_when_the_metrics_token_is_the_admin_token_or_readable_by_all()
    {
        var file = TokenFile(out var token);
        try
        {
            var args = new[] { "--urls", "http://127.0.0.1:0", $"--API_TOKEN={token}", "--Upgrade:UseSudo=false", $"--Storage:Directory={DaemonFixture.NewStorageDirectory()}", $"--Metrics:TokenFile={file}" };
            await using (var same = DaemonFixture.Build(args))
            {
                var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => same.StartAsync());
                Assert.Contains("Metrics:TokenFile holds the admin token", error.Message);
            }

            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.OtherRead);
            args[2] = $"--API_TOKEN={DaemonFixture.NewToken()}";
            await using var readable = DaemonFixture.Build(args);
            var readableError = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => readable.StartAsync());
            Assert.Contains("Metrics:TokenFile", readableError.Message);
            Assert.Contains("readable by every user", readableError.Message);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Should_export_node_exporters_apt_names_and_the_daemons_own()
    {
        var file = TokenFile(out var metricsToken);
        var dir = Directory.CreateTempSubdirectory("pinsdaemon-metrics-host-");
        try
        {
            var stamp = Path.Combine(dir.FullName, "update-success-stamp");
            File.WriteAllText(stamp, string.Empty);
            File.SetLastWriteTimeUtc(stamp, new DateTime(2026, 11, 30, 4, 0, 0, DateTimeKind.Utc));
            var paths = new HostPaths
            {
                RebootRequired = Path.Combine(dir.FullName, "reboot-required"),
                DpkgStatus = Path.Combine(AppContext.BaseDirectory, "fixtures", "apt-history", "dpkg-status-held.txt"),
                PackageCacheStamps = [stamp],
            };
            await using var daemon = await DaemonFixture.StartWithServicesAsync("check-notices.sh", storage: null, token: null, services => services.AddSingleton(paths), $"--Metrics:TokenFile={file}");

            async Task<string> ScrapeAsync()
            {
                using var response = await daemon.Anonymous.SendAsync(Get("/metrics", metricsToken));
                response.EnsureSuccessStatusCode();
                return await response.Content.ReadAsStringAsync();
            }

            var before = await ScrapeAsync();
            Assert.Contains("\nnode_reboot_required 0\n", before);
            Assert.Contains("\napt_package_cache_timestamp_seconds 1796011200\n", before);
            // Nothing is known about pending updates before a check: no series rather than a wrong 0.
            Assert.DoesNotContain("\napt_upgrades_pending{", before);

            File.WriteAllText(paths.RebootRequired, string.Empty);
            var jobId = (await daemon.StartJobAsync()).GetProperty("jobId").GetString()!;
            await daemon.WaitForEndAsync(jobId);
            using (var socket = await daemon.ConnectAsync($"/logs/{jobId}"))
            {
                await DaemonFixture.ReadAllAsync(socket);
            }

            string after = string.Empty;
            await Eventually.WaitUntilAsync(async () => (after = await ScrapeAsync()).Contains("pinsdaemon_log_lines_streamed_total"));
            Assert.Contains("\n# TYPE apt_upgrades_pending gauge\n", after);
            Assert.Contains("\napt_upgrades_pending{origin=\"Debian:12.15/oldstable\",arch=\"amd64\"} 1\n", after);
            Assert.Contains("\napt_upgrades_pending{origin=\"Debian:12.15/oldstable,Debian-Security:12/oldstable-security\",arch=\"amd64\"} 1\n", after);
            Assert.Contains("\napt_upgrades_held{origin=\"\",arch=\"\"} 1\n", after);
            Assert.Contains("\napt_autoremove_pending 2\n", after);
            Assert.Contains("\nnode_reboot_required 1\n", after);
            Assert.Contains("\n# TYPE pinsdaemon_jobs_total counter\n", after);
            Assert.Contains("\npinsdaemon_jobs_total{mode=\"upgrade\",dry_run=\"true\",status=\"succeeded\",reason=\"\"} 1\n", after);
            Assert.Contains("\npinsdaemon_job_duration_seconds_count{mode=\"upgrade\",dry_run=\"true\",status=\"succeeded\"} 1\n", after);
            Assert.Contains("\npinsdaemon_last_success_timestamp_seconds{mode=\"upgrade\",dry_run=\"true\"} ", after);
            var lines = (await daemon.GetJobAsync(jobId)).GetProperty("lineCount").GetInt64();
            Assert.Contains($"\npinsdaemon_log_lines_streamed_total {lines}\n", after);
            Assert.Contains("\npinsdaemon_log_streams 0\n", after);
            // Only the daemon's own metrics: no process or runtime defaults, no prefixed meter names.
            Assert.DoesNotContain("process_", after);
            Assert.DoesNotContain("dotnet_", after);
        }
        finally
        {
            File.Delete(file);
            dir.Delete(recursive: true);
        }
    }
}
