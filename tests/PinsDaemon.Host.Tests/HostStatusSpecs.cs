using System.Net;
using System.Text.Json;
using PinsDaemon.Contracts;
using PinsDaemon.Host.HostStatus;
using PinsDaemon.Host.Tests.TestSupport;

namespace PinsDaemon.Host.Tests;

public sealed class HostStatusSpecs
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 4, 0, 0, TimeSpan.Zero);

    private static JobSnapshot Job(bool dryRun, JobStatus status, int minute, params PlanEntry[] plan) =>
        new(JobId.New(), status, dryRun, T0.AddMinutes(minute), T0.AddMinutes(minute), status == JobStatus.Running ? null : T0.AddMinutes(minute + 1), 0, 0, null)
        {
            Plan = dryRun ? plan : null,
            KeptBack = dryRun ? ["zip", "linux-image-amd64"] : null,
            Autoremovable = dryRun ? ["libncurses6"] : null,
        };

    private static readonly PlanEntry Security = new("libssl3", "3.0.19-1~deb12u2", "3.0.22-1~deb12u2", "Debian-Security:12/oldstable-security", "amd64", "upgrade");
    private static readonly PlanEntry Point = new("bash", "5.2.15-2+b8", "5.2.15-2+b13", "Debian:12.15/oldstable", "amd64", "upgrade");
    private static readonly PlanEntry New = new("sl", null, "5.02-1+b1", "Debian:12.11/stable", "amd64", "install");

    [Fact]
    public void Should_report_what_the_last_check_found_with_security_origins_and_holds()
    {
        JobSnapshot[] jobs = [Job(true, JobStatus.Succeeded, 0, Point), Job(true, JobStatus.Succeeded, 10, Security, Point, New)];
        var pending = JobHistorySummary.Pending(jobs, new HashSet<string> { "zip" })!;
        Assert.Equal(jobs[1].JobId, pending.CheckJobId);
        Assert.Equal(3, pending.Count);
        Assert.Equal(1, pending.SecurityCount);
        Assert.Equal(["security", "other", "other"], pending.Packages.Select(p => p.Origin));
        Assert.Equal("Debian-Security:12/oldstable-security", pending.Packages[0].Source);
        Assert.Equal(["zip"], pending.Held);
        Assert.Equal(["libncurses6"], pending.Autoremovable);
        Assert.Null(JobHistorySummary.Pending(jobs, holds: null)!.Held);
    }

    [Fact]
    public void Should_not_know_what_is_pending_before_a_check_or_once_an_apply_ran_after_it()
    {
        Assert.Null(JobHistorySummary.Pending([Job(true, JobStatus.Failed, 0, Point)], null));
        Assert.Null(JobHistorySummary.Pending([Job(true, JobStatus.Succeeded, 0, Point), Job(false, JobStatus.Succeeded, 5)], null));
        Assert.Null(JobHistorySummary.Pending([Job(true, JobStatus.Succeeded, 0, Point), Job(false, JobStatus.Running, 5)], null));
        Assert.Null(JobHistorySummary.Pending([Job(true, JobStatus.Succeeded, 0, Point), Job(false, JobStatus.Failed, 5)], null));

        // Cancelled and timed-out applies stop before dpkg: the check still holds.
        Assert.NotNull(JobHistorySummary.Pending([Job(true, JobStatus.Succeeded, 0, Point), Job(false, JobStatus.Cancelled, 5)], null));
        // A check after the apply is the one that counts.
        Assert.NotNull(JobHistorySummary.Pending([Job(false, JobStatus.Succeeded, 0), Job(true, JobStatus.Succeeded, 5, Point)], null));
    }

    [Fact]
    public void Should_name_the_last_successful_apply_and_the_running_job()
    {
        JobSnapshot[] jobs = [Job(false, JobStatus.Succeeded, 0), Job(false, JobStatus.Succeeded, 20), Job(false, JobStatus.Failed, 30), Job(true, JobStatus.Running, 40)];
        Assert.Equal(jobs[1].JobId, JobHistorySummary.LastSuccessfulApply(jobs)!.JobId);
        Assert.Equal(jobs[3].JobId, JobHistorySummary.Running(jobs)!.JobId);
        Assert.Null(JobHistorySummary.LastSuccessfulApply([Job(true, JobStatus.Succeeded, 0, Point)]));
    }

    [Theory]
    [InlineData("Debian-Security:12/oldstable-security", true)]
    [InlineData("Debian:12.15/oldstable, Debian-Security:12/oldstable-security", true)]
    [InlineData("Ubuntu:24.04/noble-security", true)]
    [InlineData("Debian:12.11/stable", false)]
    [InlineData("Raspberry Pi Foundation:stable/stable", false)]
    public void Should_tell_security_origins(string source, bool security) => Assert.Equal(security, JobHistorySummary.IsSecurity(source));

    [Fact]
    public void Should_parse_os_release_and_uptime()
    {
        var os = HostFacts.ParseOsRelease(File.ReadAllText("/etc/os-release"));
        Assert.Equal("debian", os.Id);
        Assert.Equal("12", os.VersionId);
        Assert.Equal("Debian GNU/Linux 12 (bookworm)", os.PrettyName);
        Assert.Equal("Raspbian \"x\"", HostFacts.ParseOsRelease("# c\nNAME=x\nPRETTY_NAME='Raspbian \\\"x\\\"'\n").PrettyName);
        Assert.Equal(1679.79, HostFacts.ParseUptime("1679.79 2848.02\n"));
        Assert.Null(HostFacts.ParseUptime("garbage"));
    }

    [Fact]
    public async Task Should_read_holds_from_dpkgs_database()
    {
        await using var status = File.OpenRead(Path.Combine(AppContext.BaseDirectory, "fixtures", "apt-history", "dpkg-status-held.txt"));
        Assert.Equal(["zip"], await DpkgHolds.ParseAsync(status, CancellationToken.None));
    }

    [Fact]
    public async Task Should_report_the_host_the_reboot_and_the_last_check()
    {
        var dir = Directory.CreateTempSubdirectory("pinsdaemon-host-");
        try
        {
            var paths = new HostPaths
            {
                BootId = Write(dir, "boot_id", "5b0f3f1e-0000-4000-8000-000000000001\n"),
                Uptime = Write(dir, "uptime", "3600.50 100.00\n"),
                // A container's PID 1, started 1500 s (150000 clock ticks) after the kernel booted.
                InitStat = Write(dir, "init-stat", "1 (systemd) S 0 1 1 0 -1 4194560 100 200 3 4 50 60 1 2 20 0 1 0 150000 1000 2000\n"),
                RebootRequired = Path.Combine(dir.FullName, "reboot-required"),
                RebootRequiredPackages = Write(dir, "reboot-required.pkgs", "linux-image-6.1.0-28-amd64\nlinux-base\nlinux-base\n"),
                DpkgStatus = Path.Combine(AppContext.BaseDirectory, "fixtures", "apt-history", "dpkg-status-held.txt"),
            };
            await using var daemon = await DaemonFixture.StartWithServicesAsync("check-notices.sh", storage: null, token: null, services => services.AddSingleton(paths));

            var before = await daemon.Client.GetFromJsonAsync<JsonElement>("/host");
            Assert.False(before.GetProperty("rebootRequired").GetBoolean());
            Assert.Equal(JsonValueKind.Null, before.GetProperty("rebootRequiredPackages").ValueKind);
            Assert.Equal(JsonValueKind.Null, before.GetProperty("pendingUpdates").ValueKind);
            Assert.Equal("5b0f3f1e-0000-4000-8000-000000000001", before.GetProperty("bootId").GetString());
            // The container's uptime and boot, not the kernel's.
            Assert.Equal(2100.5, before.GetProperty("uptimeSeconds").GetDouble());
            var bootedAt = before.GetProperty("bootedAt").GetDateTimeOffset();
            Assert.InRange(DateTimeOffset.UtcNow - bootedAt, TimeSpan.FromSeconds(2100), TimeSpan.FromSeconds(2100 + 600));
            Assert.Equal("debian", before.GetProperty("os").GetProperty("id").GetString());
            Assert.False(string.IsNullOrEmpty(before.GetProperty("kernel").GetString()));

            File.WriteAllText(paths.RebootRequired, "*** System restart required ***\n");
            var jobId = (await daemon.StartJobAsync()).GetProperty("jobId").GetString()!;
            await daemon.WaitForEndAsync(jobId);

            var after = await daemon.Client.GetFromJsonAsync<JsonElement>("/host");
            Assert.True(after.GetProperty("rebootRequired").GetBoolean());
            Assert.Equal(["linux-image-6.1.0-28-amd64", "linux-base"], after.GetProperty("rebootRequiredPackages").EnumerateArray().Select(p => p.GetString()));
            var pending = after.GetProperty("pendingUpdates");
            Assert.Equal(jobId, pending.GetProperty("checkJobId").GetString());
            Assert.Equal(2, pending.GetProperty("count").GetInt32());
            Assert.Equal(1, pending.GetProperty("securityCount").GetInt32());
            Assert.Equal(["zip"], pending.GetProperty("held").EnumerateArray().Select(p => p.GetString()));
            Assert.Equal(["libncurses6", "libtext-charwidth-perl"], pending.GetProperty("autoremovable").EnumerateArray().Select(p => p.GetString()));
            Assert.Equal(JsonValueKind.Null, after.GetProperty("runningJob").ValueKind);
            Assert.Equal(JsonValueKind.Null, after.GetProperty("lastSuccessfulApply").ValueKind);

            using var anonymous = await daemon.Anonymous.GetAsync("/host");
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static string Write(DirectoryInfo dir, string name, string text)
    {
        var path = Path.Combine(dir.FullName, name);
        File.WriteAllText(path, text);
        return path;
    }
}
