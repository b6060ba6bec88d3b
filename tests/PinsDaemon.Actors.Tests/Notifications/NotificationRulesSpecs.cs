using System.Text.Json;
using PinsDaemon.Actors.Notifications;
using PinsDaemon.Contracts;
using Xunit;

namespace PinsDaemon.Actors.Tests.Notifications;

public sealed class NotificationRulesSpecs
{
    private static readonly NotificationTarget Target = new(NotificationTarget.Webhook, new Uri("https://hooks.example/pins"), new HashSet<string> { "failed" }, new byte[32], null);

    private static JobSnapshot Job(JobStatus status, bool dryRun = true) =>
        new(JobId.New(), status, dryRun, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, 0, 10, "apt said: <b>owned</b>");

    private static PlanEntry Upgrade(string package, string to) => new(package, "1", to, "Debian:12/stable", "amd64", "upgrade");

    [Fact]
    public void Should_reproduce_the_Standard_Webhooks_published_signature()
    {
        var key = WebhookSignature.ParseSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", out var problem);
        Assert.Null(problem);
        Assert.Equal(
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
            WebhookSignature.Sign(key!, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, "{\"test\": 2432232314}"));
    }

    [Theory]
    [InlineData("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "does not start with 'whsec_'")]
    [InlineData("whsec_not base64!", "is not base64")]
    [InlineData("whsec_AAAAAAAAAAA=", "decodes to 8 bytes")]
    public void Should_refuse_a_secret_that_is_not_whsec_and_24_to_64_bytes_of_base64(string secret, string expected)
    {
        Assert.Null(WebhookSignature.ParseSecret(secret, out var problem));
        Assert.Contains(expected, problem);
    }

    [Theory]
    [InlineData(JobStatus.Failed, "failed")]
    [InlineData(JobStatus.TimedOut, "failed")]
    [InlineData(JobStatus.Interrupted, "failed")]
    [InlineData(JobStatus.Succeeded, "succeeded")]
    [InlineData(JobStatus.Cancelled, null)]
    public void Should_raise_failed_or_succeeded_as_a_job_ends_and_nothing_for_a_cancel(JobStatus status, string? expected)
    {
        var events = NotificationRules.Decide(Job(status, dryRun: false), null).Events;
        Assert.Equal(expected is null ? [] : [expected], events);
    }

    [Fact]
    public void Should_not_raise_succeeded_for_a_scheduled_check_but_failed_and_updatesAvailable_still()
    {
        var check = Job(JobStatus.Succeeded) with { Trigger = JobTriggers.Schedule, Plan = [Upgrade("zip", "3")] };
        Assert.Equal(["updatesAvailable"], NotificationRules.Decide(check, null).Events);
        Assert.Equal(["succeeded", "updatesAvailable"], NotificationRules.Decide(check with { Trigger = JobTriggers.Api }, null).Events);
        Assert.Equal(["failed"], NotificationRules.Decide(Job(JobStatus.Failed) with { Trigger = JobTriggers.Schedule }, null).Events);
    }

    [Fact]
    public void Should_raise_rebootRequired_only_for_a_succeeded_apply_that_needs_a_reboot()
    {
        Assert.Equal(["succeeded", "rebootRequired"], NotificationRules.Decide(Job(JobStatus.Succeeded, dryRun: false) with { RebootRequired = true }, null).Events);
        Assert.Equal(["succeeded"], NotificationRules.Decide(Job(JobStatus.Succeeded, dryRun: false) with { RebootRequired = false }, null).Events);
        Assert.Equal(["failed"], NotificationRules.Decide(Job(JobStatus.Failed, dryRun: false) with { RebootRequired = true }, null).Events);
    }

    [Fact]
    public void Should_raise_updatesAvailable_only_when_the_pending_set_changed()
    {
        var plan = new[] { Upgrade("zip", "2"), Upgrade("sl", "5") };
        var first = NotificationRules.Decide(Job(JobStatus.Succeeded) with { Plan = plan }, null);
        Assert.Equal(["succeeded", "updatesAvailable"], first.Events);

        // The same set, in another order: no news.
        var again = NotificationRules.Decide(Job(JobStatus.Succeeded) with { Plan = [plan[1], plan[0]] }, first.Updates);
        Assert.Equal(["succeeded"], again.Events);

        // A new version is news.
        var newer = NotificationRules.Decide(Job(JobStatus.Succeeded) with { Plan = [Upgrade("zip", "3"), plan[1]] }, first.Updates);
        Assert.Equal(["succeeded", "updatesAvailable"], newer.Events);

        // Nothing pending resets it: the same set later (say, a reinstall) is news again.
        var none = NotificationRules.Decide(Job(JobStatus.Succeeded) with { Plan = [] }, first.Updates);
        Assert.Equal(["succeeded"], none.Events);
        Assert.Equal(string.Empty, none.Updates);
        Assert.Contains("updatesAvailable", NotificationRules.Decide(Job(JobStatus.Succeeded) with { Plan = plan }, none.Updates).Events);

        // An unknown plan, or an apply, leaves the remembered set alone.
        Assert.Null(NotificationRules.Decide(Job(JobStatus.Succeeded), first.Updates).Updates);
        Assert.Null(NotificationRules.Decide(Job(JobStatus.Succeeded, dryRun: false), first.Updates).Updates);
    }

    [Fact]
    public void Should_give_one_event_id_per_job_event_and_target()
    {
        var job = JobId.New();
        var other = Target with { Url = new Uri("https://hooks.example/other") };
        var id = NotificationRules.DeliveryId(job, "failed", Target);
        Assert.Equal(id, NotificationRules.DeliveryId(job, "failed", Target with { SigningKey = new byte[24] }));
        Assert.Matches("^msg_[0-9a-f]{32}$", id);
        Assert.NotEqual(id, NotificationRules.DeliveryId(job, "succeeded", Target));
        Assert.NotEqual(id, NotificationRules.DeliveryId(job, "failed", other));
        Assert.NotEqual(id, NotificationRules.DeliveryId(JobId.New(), "failed", Target));
    }

    [Fact]
    public void Should_send_no_text_from_apt_and_only_package_names_debian_allows()
    {
        var job = Job(JobStatus.Succeeded) with { Plan = [Upgrade("zip", "2"), Upgrade("evil\n<script>", "1"), Upgrade("libc6:amd64", "2")] };
        var body = NotificationRules.Body(job, "updatesAvailable", "pi-1", DateTimeOffset.UnixEpoch);
        Assert.DoesNotContain("owned", body);
        Assert.DoesNotContain("script", body);
        var data = JsonDocument.Parse(body).RootElement.GetProperty("data");
        Assert.Equal(3, data.GetProperty("packageCount").GetInt32());
        Assert.Equal(["zip", "libc6:amd64"], data.GetProperty("packages").EnumerateArray().Select(p => p.GetString()!).ToArray());
        Assert.Equal("pi-1: 3 updates available", NotificationRules.Ntfy(body).Title);
    }

    [Fact]
    public void Should_show_a_target_by_its_server_only_as_its_path_may_be_its_secret()
    {
        var target = Target with { Url = new Uri("https://user:pw@hooks.example:8443/services/T0/B0/s3cret?token=s3cret#frag") };
        Assert.Equal($"webhook https://hooks.example:8443/… ({target.Key[..8]})", target.Display);
        Assert.DoesNotContain("s3cret", target.Display);
        Assert.NotEqual(target.Display, (target with { Url = new Uri("https://hooks.example:8443/services/T0/B0/other") }).Display);
        Assert.Equal($"ntfy https://ntfy.example ({(target with { Kind = "ntfy", Url = new Uri("https://ntfy.example/") }).Key[..8]})", (target with { Kind = "ntfy", Url = new Uri("https://ntfy.example/") }).Display);
    }

    [Fact]
    public void Should_double_the_retry_delay_up_to_its_cap()
    {
        var settings = new NotificationSettings([], "/tmp", "pi", TimeSpan.FromSeconds(30), TimeSpan.FromHours(1), 20);
        Assert.Equal(
            [30, 60, 120, 240, 480, 960, 1920, 3600, 3600],
            Enumerable.Range(1, 9).Select(attempts => settings.RetryDelay(attempts).TotalSeconds).ToArray());
        Assert.Equal(TimeSpan.FromHours(1), settings.RetryDelay(1000));
    }
}
