using System.Net.Http.Headers;
using System.Text.Json;
using PinsDaemon.Host.HostStatus;
using PinsDaemon.Host.Tests.TestSupport;

namespace PinsDaemon.Host.Tests;

/// <summary>Scheduled checks (<c>Schedule:CheckEvery</c>) in the real daemon, with a real script.</summary>
public sealed class ScheduleSpecs
{
    private static readonly string[] Daily = ["--Schedule:CheckEvery=1.00:00:00", "--Schedule:RandomDelay=00:00:00"];

    [Fact]
    public async Task Should_run_a_check_that_feeds_host_and_metrics_and_not_check_again_after_a_restart()
    {
        var metricsToken = DaemonFixture.NewToken();
        var tokenFile = Path.Combine(Path.GetTempPath(), $"pinsdaemon-metrics-{Guid.NewGuid():N}");
        File.WriteAllText(tokenFile, metricsToken + "\n");
        File.SetUnixFileMode(tokenFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var paths = new HostPaths { DpkgStatus = Path.Combine(AppContext.BaseDirectory, "fixtures", "apt-history", "dpkg-status-held.txt") };
        var storage = DaemonFixture.NewStorageDirectory();
        var token = DaemonFixture.NewToken();
        string[] args = [.. Daily, $"--Metrics:TokenFile={tokenFile}"];
        Overdue(storage);
        try
        {
            string checkId;
            DateTimeOffset next;
            await using (var daemon = await DaemonFixture.StartWithServicesAsync("check-notices.sh", storage, token, services => services.AddSingleton(paths), args))
            {
                // Nobody asks for anything: the schedule alone runs the check that fell due while the daemon was down.
                JsonElement[] jobs = [];
                await Eventually.WaitUntilAsync(async () => (jobs = (await daemon.Client.GetFromJsonAsync<JsonElement[]>("/jobs"))!).Length > 0);
                var check = Assert.Single(jobs);
                checkId = check.GetProperty("jobId").GetString()!;
                Assert.Equal("schedule", check.GetProperty("trigger").GetString());
                Assert.True(check.GetProperty("dryRun").GetBoolean());
                Assert.Equal("schedule", check.GetProperty("audit")[0].GetProperty("client").GetString());
                Assert.Equal("succeeded", (await daemon.WaitForEndAsync(checkId)).GetProperty("status").GetString());

                var pending = (await daemon.Client.GetFromJsonAsync<JsonElement>("/host")).GetProperty("pendingUpdates");
                Assert.Equal(checkId, pending.GetProperty("checkJobId").GetString());
                Assert.Equal(2, pending.GetProperty("count").GetInt32());

                using var scrape = new HttpRequestMessage(HttpMethod.Get, "/metrics") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", metricsToken) } };
                using var response = await daemon.Anonymous.SendAsync(scrape);
                var metrics = await response.Content.ReadAsStringAsync();
                Assert.Contains("\napt_upgrades_pending{origin=\"Debian:12.15/oldstable\",arch=\"amd64\"} 1\n", metrics);
                Assert.Contains("\napt_autoremove_pending 2\n", metrics);

                var saved = JsonDocument.Parse(File.ReadAllText(Path.Combine(storage, "schedule.json"))).RootElement;
                next = saved.GetProperty("nextCheckAt").GetDateTimeOffset();
                Assert.Equal(check.GetProperty("createdAt").GetDateTimeOffset().AddDays(1), next);
            }

            // A restart keeps the due time: no second check now.
            await using (var restarted = await DaemonFixture.StartWithServicesAsync("check-notices.sh", storage, token, services => services.AddSingleton(paths), args))
            {
                await Eventually.WaitUntilAsync(() => Task.FromResult(restarted.Logs.Lines.Any(line => line.Contains("Scheduled checks every"))));
                Assert.Contains(restarted.Logs.Lines, line => line.Contains($"the next is due at {next.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z"));
                var jobs = (await restarted.Client.GetFromJsonAsync<JsonElement[]>("/jobs"))!;
                Assert.Equal(checkId, Assert.Single(jobs).GetProperty("jobId").GetString());
            }
        }
        finally
        {
            File.Delete(tokenFile);
            await TestRuns.DeleteStorageAsync(storage);
        }
    }

    [Fact]
    public async Task Should_plan_the_first_check_a_period_after_the_first_start_and_run_none_now()
    {
        var before = DateTimeOffset.UtcNow;
        await using var daemon = await DaemonFixture.StartAsync("check-notices.sh", Daily);
        var file = Path.Combine(daemon.StorageDirectory, "schedule.json");
        await Eventually.WaitUntilAsync(() => Task.FromResult(File.Exists(file)));
        // Written atomically (a rename): once there, it is whole.
        var saved = JsonDocument.Parse(File.ReadAllText(file)).RootElement;
        Assert.Equal(JsonValueKind.Null, saved.GetProperty("lastCheckAt").ValueKind);
        Assert.True(saved.GetProperty("nextCheckAt").GetDateTimeOffset() >= before.AddDays(1));
        Assert.Empty((await daemon.Client.GetFromJsonAsync<JsonElement[]>("/jobs"))!);
    }

    /// <summary>A check that fell due while the daemon was down (Persistent=true).</summary>
    private static void Overdue(string storage)
    {
        Directory.CreateDirectory(storage);
        File.WriteAllText(Path.Combine(storage, "schedule.json"), """{"lastCheckAt":"2026-01-01T00:00:00+00:00","nextCheckAt":"2026-01-02T00:00:00+00:00"}""");
    }
}
