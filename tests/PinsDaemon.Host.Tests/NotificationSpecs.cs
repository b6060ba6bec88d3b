using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Options;
using PinsDaemon.Host.Tests.TestSupport;

namespace PinsDaemon.Host.Tests;

/// <summary>
/// Notifications end to end: the real daemon delivers to real HTTP receivers on loopback, which
/// check what arrives as a receiver would (the signature with an implementation of their own).
/// </summary>
public sealed class NotificationSpecs : IDisposable
{
    /// <summary>Retries come quickly here; the defaults (30 s doubling to 1 h) are for real receivers.</summary>
    private static readonly string[] FastRetries = ["--Notifications:FirstRetryDelay=00:00:00.2", "--Notifications:MaxRetryDelay=00:00:01"];

    /// <summary>Generous: the machine running the tests is loaded, and each wait ends as soon as its condition holds.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private readonly string _files = Directory.CreateTempSubdirectory("pinsdaemon-notify-").FullName;

    [Fact]
    public async Task Should_deliver_signed_webhooks_that_an_independent_verifier_accepts_and_a_tampered_body_fails()
    {
        var secret = NewSecret();
        await using var receiver = await NotificationReceiver.StartAsync();
        await using var daemon = await DaemonFixture.StartAsync(
            "channel-dry-run.sh",
            [.. Target(0, "webhook", new Uri(receiver.Url, "/hooks/pins?key=query-secret"), ["succeeded", "updatesAvailable"], secretFile: SecretFile(secret))]);

        var jobId = (await daemon.StartJobAsync()).GetProperty("jobId").GetString()!;
        var job = await WaitForNotificationsAsync(daemon, jobId, 2);

        // Both events, delivered at the first attempt, the target shown without its query.
        Assert.Equal(["succeeded", "updatesAvailable"], job.GetProperty("notifications").EnumerateArray().Select(n => n.GetProperty("event").GetString()!).ToArray());
        foreach (var notification in job.GetProperty("notifications").EnumerateArray())
        {
            Assert.Equal("delivered", notification.GetProperty("status").GetString());
            Assert.Equal(1, notification.GetProperty("attempts").GetInt32());
            var target = notification.GetProperty("target").GetString()!;
            Assert.StartsWith($"webhook {receiver.Url.GetLeftPart(UriPartial.Authority)}/… (", target);
            Assert.DoesNotContain("/hooks/pins", target);
        }

        Assert.DoesNotContain("query-secret", job.ToString());
        Assert.DoesNotContain(daemon.Logs.Lines, line => line.Contains("query-secret") || line.Contains(secret));
        var checker = await OpenApiChecker.LoadAsync(daemon);
        await checker.CheckAsync(daemon.Client, HttpMethod.Get, $"/jobs/{jobId}", "/jobs/{jobId}", HttpStatusCode.OK);

        var received = receiver.Received;
        Assert.Equal(2, received.Count);
        var now = DateTimeOffset.UtcNow;
        foreach (var request in received)
        {
            Assert.Equal("/hooks/pins", request.Path);
            Assert.StartsWith("application/json", request.Header("content-type"));
            Assert.True(StandardWebhooksVerifier.Verify(secret, request, request.Body, now), $"signature of {request.Body}");
            // A body changed on the way, or the same delivery replayed ten minutes later, fails.
            Assert.False(StandardWebhooksVerifier.Verify(secret, request, request.Body.Replace(jobId, JobIdOtherThan(jobId)), now));
            Assert.False(StandardWebhooksVerifier.Verify(secret, request, request.Body, now.AddMinutes(10)));
            Assert.False(StandardWebhooksVerifier.Verify(NewSecret(), request, request.Body, now));
        }

        Assert.Equal(2, received.Select(r => r.Header("webhook-id")).Distinct().Count());
        var updates = JsonDocument.Parse(received.Single(r => r.Body.Contains("\"updatesAvailable\"")).Body).RootElement;
        Assert.Equal("updatesAvailable", updates.GetProperty("type").GetString());
        var data = updates.GetProperty("data");
        Assert.Equal(jobId, data.GetProperty("jobId").GetString());
        Assert.Equal(Environment.MachineName, data.GetProperty("host").GetString());
        Assert.Equal("succeeded", data.GetProperty("status").GetString());
        Assert.Equal("api", data.GetProperty("trigger").GetString());
        Assert.Equal(2, data.GetProperty("packageCount").GetInt32());
        Assert.Equal(["zip", "sl"], data.GetProperty("packages").EnumerateArray().Select(p => p.GetString()!).ToArray());

        // The same pending updates found again are no news: only the second job's "succeeded".
        var second = (await daemon.StartJobAsync()).GetProperty("jobId").GetString()!;
        var secondJob = await WaitForNotificationsAsync(daemon, second, 1);
        Assert.Equal("succeeded", Assert.Single(secondJob.GetProperty("notifications").EnumerateArray()).GetProperty("event").GetString());
        Assert.Equal(3, receiver.Received.Count);
    }

    [Fact]
    public async Task Should_retry_a_receiver_that_is_down_and_deliver_once_when_it_comes_back()
    {
        var secret = NewSecret();
        await using var receiver = await NotificationReceiver.StartAsync(down: true);
        await using var daemon = await DaemonFixture.StartAsync(
            "exit-3.sh",
            [.. Target(0, "webhook", new Uri(receiver.Url, "/hook"), ["failed", "succeeded"], secretFile: SecretFile(secret)), .. FastRetries]);

        var jobId = (await daemon.StartJobAsync(dryRun: false)).GetProperty("jobId").GetString()!;
        await Eventually.WaitUntilAsync(async () => Notification(await daemon.GetJobAsync(jobId)) is { } n && n.GetProperty("attempts").GetInt32() >= 2, Patience);

        var pending = Notification(await daemon.GetJobAsync(jobId))!.Value;
        Assert.Equal("failed", pending.GetProperty("event").GetString());
        Assert.Equal("pending", pending.GetProperty("status").GetString());
        Assert.StartsWith("connection failed", pending.GetProperty("lastError").GetString());

        receiver.Down = false;
        await Eventually.WaitUntilAsync(async () => Notification(await daemon.GetJobAsync(jobId))?.GetProperty("status").GetString() == "delivered", Patience);

        var delivered = Notification(await daemon.GetJobAsync(jobId))!.Value;
        Assert.Equal(JsonValueKind.Null, delivered.GetProperty("lastError").ValueKind);
        var accepted = Assert.Single(receiver.Received, r => r.Accepted);
        Assert.True(StandardWebhooksVerifier.Verify(secret, accepted, accepted.Body, DateTimeOffset.UtcNow));
        // Every attempt carried the same event id, each with a fresh signature of the same body.
        Assert.Single(receiver.Received.Select(r => r.Header("webhook-id")).Distinct());
        Assert.Single(receiver.Received.Select(r => r.Body).Distinct());
        Assert.Equal(receiver.Received.Count, delivered.GetProperty("attempts").GetInt32());
    }

    [Fact]
    public async Task Should_deliver_exactly_once_across_a_SIGKILL_of_the_daemon_in_the_middle_of_retries()
    {
        var secret = NewSecret();
        var storage = DaemonFixture.NewStorageDirectory();
        var token = DaemonFixture.NewToken();
        await using var receiver = await NotificationReceiver.StartAsync(down: true);
        var environment = new Dictionary<string, string>
        {
            ["Notifications__Targets__0__Kind"] = "webhook",
            ["Notifications__Targets__0__Url"] = new Uri(receiver.Url, "/hook").ToString(),
            ["Notifications__Targets__0__Events__0"] = "failed",
            ["Notifications__Targets__0__SecretFile"] = SecretFile(secret),
            ["Notifications__FirstRetryDelay"] = "00:00:00.2",
            ["Notifications__MaxRetryDelay"] = "00:00:01",
        };
        try
        {
            string jobId;
            using (var crashing = await DaemonProcess.StartAsync("exit-3.sh", storage, token, environment))
            {
                using var client = crashing.Client(token);
                jobId = await DaemonProcess.StartDryRunAsync(client);
                await Eventually.WaitUntilAsync(() => Task.FromResult(receiver.Received.Count >= 2), Patience);
                crashing.Kill();
            }

            var eventId = receiver.Received[0].Header("webhook-id");
            receiver.Down = false;
            using (var restarted = await DaemonProcess.StartAsync("exit-3.sh", storage, token, environment))
            {
                using var client = restarted.Client(token);
                await Eventually.WaitUntilAsync(async () => Notification(await GetJobAsync(client, jobId))?.GetProperty("status").GetString() == "delivered", Patience);
                var delivered = Notification(await GetJobAsync(client, jobId))!.Value;
                Assert.True(delivered.GetProperty("attempts").GetInt32() >= 3, delivered.ToString());
                restarted.Terminate();
                Assert.True(restarted.WaitForExit(Patience));
            }

            // Once more: a delivered notification stays delivered. Another job's notification
            // arriving shows the daemon has worked its queue since.
            using (var again = await DaemonProcess.StartAsync("exit-3.sh", storage, token, environment))
            {
                using var client = again.Client(token);
                var next = await DaemonProcess.StartDryRunAsync(client);
                await Eventually.WaitUntilAsync(async () => Notification(await GetJobAsync(client, next))?.GetProperty("status").GetString() == "delivered", Patience);
                Assert.Equal("delivered", Notification(await GetJobAsync(client, jobId))?.GetProperty("status").GetString());
            }

            var first = receiver.Received.Where(r => r.Header("webhook-id") == eventId).ToArray();
            Assert.Single(first, r => r.Accepted);
            Assert.True(first[^1].Accepted, "nothing was sent for the event after it was delivered");
            Assert.All(receiver.Received.Where(r => r.Accepted), r => Assert.True(StandardWebhooksVerifier.Verify(secret, r, r.Body, DateTimeOffset.UtcNow)));
        }
        finally
        {
            await TestRuns.DeleteStorageAsync(storage);
        }
    }

    [Fact]
    public async Task Should_publish_to_an_ntfy_topic_with_a_title_priority_tags_and_the_access_token()
    {
        await using var receiver = await NotificationReceiver.StartAsync();
        var accessToken = "tk_" + DaemonFixture.NewToken()[..29];
        await using var daemon = await DaemonFixture.StartAsync(
            "exit-3.sh",
            [.. Target(0, "ntfy", new Uri(receiver.Url, "/pins-alerts"), ["failed"], tokenFile: WriteFile("ntfy-token", accessToken + "\n"))]);

        var jobId = (await daemon.StartJobAsync(dryRun: false)).GetProperty("jobId").GetString()!;
        await WaitForNotificationsAsync(daemon, jobId, 1);

        var request = Assert.Single(receiver.Received);
        Assert.Equal("/pins-alerts", request.Path);
        Assert.Equal($"{Environment.MachineName}: upgrade failed", request.Header("title"));
        Assert.Equal("4", request.Header("priority"));
        Assert.Equal("warning", request.Header("tags"));
        Assert.Equal($"Bearer {accessToken}", request.Header("authorization"));
        Assert.StartsWith("text/plain", request.Header("content-type"));
        Assert.Contains($"Job {jobId} (upgrade) ended failed", request.Body);
        Assert.Null(request.Header("webhook-signature"));
    }

    [Fact]
    public async Task Should_refuse_to_start_naming_each_bad_notification_setting()
    {
        var open = WriteFile("open-secret", NewSecret());
        File.SetUnixFileMode(open, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        string[] args =
        [
            .. Target(0, "email", new Uri("https://example.invalid/"), ["failed"]),
            .. Target(1, "webhook", new Uri("https://example.invalid/a"), ["exploded"]),
            "--Notifications:Targets:2:Kind=webhook", "--Notifications:Targets:2:Url=ftp://example.invalid/", "--Notifications:Targets:2:Events:0=failed",
            .. Target(3, "webhook", new Uri("https://example.invalid/d"), ["failed"], secretFile: WriteFile("not-whsec", "hunter2hunter2hunter2hunter2hunter2")),
            .. Target(4, "webhook", new Uri("https://example.invalid/e"), ["failed"], secretFile: Path.Combine(_files, "missing")),
            .. Target(5, "webhook", new Uri("https://example.invalid/f"), ["failed"], secretFile: open),
            .. Target(6, "ntfy", new Uri("https://example.invalid/g"), ["failed"], secretFile: SecretFile(NewSecret())),
            .. Target(7, "webhook", new Uri("https://example.invalid/h"), ["failed"], secretFile: WriteFile("short", "whsec_" + Convert.ToBase64String(new byte[8]))),
            .. Target(8, "ntfy", new Uri("http://ntfy.example.invalid/topic"), ["failed"], tokenFile: WriteFile("ntfy-token", "tk_" + new string('a', 29))),
        ];
        await using var app = DaemonFixture.Build(["--urls", "http://127.0.0.1:0", "--Upgrade:UseSudo=false", $"--API_TOKEN={DaemonFixture.NewToken()}", .. args]);
        var failures = (await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync())).Failures.ToArray();

        Assert.Contains(failures, f => f.StartsWith("Notifications:Targets:0:Kind must be 'webhook' or 'ntfy'"));
        Assert.Contains(failures, f => f.StartsWith("Notifications:Targets:1:Events: 'exploded' is not an event"));
        Assert.Contains(failures, f => f.StartsWith("Notifications:Targets:1:SecretFile is required for a webhook"));
        Assert.Contains(failures, f => f.StartsWith("Notifications:Targets:2:Url must be an absolute http:// or https:// URL"));
        Assert.Contains(failures, f => f.StartsWith("Notifications:Targets:3:SecretFile") && f.Contains("does not start with 'whsec_'"));
        Assert.Contains(failures, f => f.StartsWith("Notifications:Targets:4:SecretFile") && f.Contains("does not exist"));
        Assert.Contains(failures, f => f.StartsWith("Notifications:Targets:5:SecretFile") && f.Contains("readable by every user"));
        Assert.Contains(failures, f => f.StartsWith("Notifications:Targets:6:SecretFile is for webhook targets"));
        Assert.Contains(failures, f => f.StartsWith("Notifications:Targets:7:SecretFile") && f.Contains("decodes to 8 bytes"));
        Assert.Contains(failures, f => f.StartsWith("Notifications:Targets:8:TokenFile would cross the network in clear text"));
        Assert.DoesNotContain(failures, f => f.Contains("hunter2"));
    }

    private static IEnumerable<string> Target(int index, string kind, Uri url, string[] events, string? secretFile = null, string? tokenFile = null)
    {
        var prefix = $"--Notifications:Targets:{index}:";
        yield return $"{prefix}Kind={kind}";
        yield return $"{prefix}Url={url}";
        for (var i = 0; i < events.Length; i++)
        {
            yield return $"{prefix}Events:{i}={events[i]}";
        }

        if (secretFile is not null)
        {
            yield return $"{prefix}SecretFile={secretFile}";
        }

        if (tokenFile is not null)
        {
            yield return $"{prefix}TokenFile={tokenFile}";
        }
    }

    private static string NewSecret() => "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    private string SecretFile(string secret) => WriteFile($"secret-{Guid.NewGuid():N}", secret + "\n");

    private string WriteFile(string name, string content)
    {
        var path = Path.Combine(_files, name);
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    private static string JobIdOtherThan(string jobId) => jobId[..^1] + (jobId[^1] == '0' ? '1' : '0');

    /// <summary>The job's only notification, or null while there is none.</summary>
    private static JsonElement? Notification(JsonElement job) =>
        job.GetProperty("notifications") is { ValueKind: JsonValueKind.Array } list && list.GetArrayLength() > 0 ? list[0] : null;

    /// <summary>Waits until the job has <paramref name="count"/> notifications, none of them pending.</summary>
    private static async Task<JsonElement> WaitForNotificationsAsync(DaemonFixture daemon, string jobId, int count)
    {
        JsonElement job = default;
        await Eventually.WaitUntilAsync(
            async () =>
            {
                job = await daemon.GetJobAsync(jobId);
                return job.GetProperty("notifications") is { ValueKind: JsonValueKind.Array } list
                       && list.GetArrayLength() == count
                       && list.EnumerateArray().All(n => n.GetProperty("status").GetString() != "pending");
            },
            Patience);
        return job;
    }

    private static async Task<JsonElement> GetJobAsync(HttpClient client, string jobId) =>
        await client.GetFromJsonAsync<JsonElement>($"/jobs/{jobId}");

    public void Dispose() => Directory.Delete(_files, recursive: true);
}
