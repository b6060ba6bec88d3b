using System.Net;
using System.Text.Json;
using OpenQA.Selenium;
using PinsDaemon.Host.Tests.TestSupport;
using static PinsDaemon.Host.Tests.Page.PageSpecs;

namespace PinsDaemon.Host.Tests.Page;

/// <summary>
/// The page's Reboot button in headless Chromium against the real daemon, the root script's
/// reboot forms replaced by tests/scripts/reboot.sh (it says what it was asked and exits 0).
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class RebootPageSpecs
{
    // The page reads GET /host every 10 s: what another client changed shows within one or two reads.
    private static readonly TimeSpan NextHostRead = TimeSpan.FromSeconds(60);

    [BrowserFact]
    public async Task Should_reboot_after_confirmation_show_when_and_cancel_it()
    {
        await using var daemon = await DaemonFixture.StartAsync("reboot.sh", "--Host:AllowReboot=true");
        using var browser = SignedIn(daemon);

        browser.Button("Reboot").Click();
        browser.Until(() => Visible(browser.Id("reboot-confirm")), "the reboot confirmation");
        Assert.Equal($"Reboot {daemon.BaseAddress.Host}?", browser.Id("reboot-confirm-title").Text);
        Assert.Contains("in one minute", browser.Id("reboot-confirm").Text, StringComparison.Ordinal);
        browser.Screenshot("reboot-confirmation");

        // Declining schedules nothing.
        Assert.Equal("Don't reboot", browser.Id("reboot-confirm-no").Text);
        browser.Id("reboot-confirm-no").Click();
        browser.Until(() => !browser.Id("reboot-confirm").Displayed, "the confirmation closed");
        Assert.Equal(JsonValueKind.Null, (await HostAsync(daemon)).GetProperty("rebootScheduledAt").ValueKind);

        browser.Button("Reboot").Click();
        browser.Button("Reboot in one minute").Click();
        var scheduled = browser.Until(() => Visible(browser.Id("reboot-scheduled")), "the scheduled reboot");
        var rebootAt = (await HostAsync(daemon)).GetProperty("rebootScheduledAt").GetString()!;
        Assert.Equal($"Reboot scheduled at {LocalClock(browser, rebootAt)}.", scheduled.Text);
        browser.Button("Cancel reboot");
        Assert.Null(browser.VisibleButton("Reboot"));
        // The daemon starts no job before the reboot: the page offers none.
        Assert.False(browser.Button("Upgrade").Enabled);
        Assert.False(browser.Button("Dry run").Enabled);
        browser.Screenshot("reboot-scheduled");

        browser.Button("Cancel reboot").Click();
        browser.Button("Reboot");
        Assert.False(browser.Id("reboot-scheduled").Displayed);
        Assert.Null(browser.VisibleButton("Cancel reboot"));
        Assert.True(browser.Button("Upgrade").Enabled);
        Assert.Equal(JsonValueKind.Null, (await HostAsync(daemon)).GetProperty("rebootScheduledAt").ValueKind);

        // A reboot another client scheduled shows the same, and is cancelled from here the same way.
        using (var elsewhere = await daemon.Client.PostAsync("/reboot", null))
        {
            Assert.Equal(HttpStatusCode.Accepted, elsewhere.StatusCode);
            var at = (await elsewhere.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("rebootAt").GetString()!;
            browser.Until(() => browser.VisibleButton("Cancel reboot"), "the reboot scheduled elsewhere", NextHostRead);
            Assert.Equal($"Reboot scheduled at {LocalClock(browser, at)}.", browser.Id("reboot-scheduled").Text);
        }

        browser.Button("Cancel reboot").Click();
        browser.Button("Reboot");
        Assert.Equal(JsonValueKind.Null, (await HostAsync(daemon)).GetProperty("rebootScheduledAt").ValueKind);

        // While a job runs the daemon would refuse: the button says why it is off.
        var running = (await daemon.StartJobAsync()).GetProperty("jobId").GetString()!;
        browser.Until(() => !browser.Button("Reboot").Enabled, "Reboot disabled while the job runs", NextHostRead);
        Assert.Equal("Not while a job runs: reboot once it has ended.", browser.Id("reboot-reason").Text);
        browser.Screenshot("reboot-while-a-job-runs");
        using (var cancel = await daemon.Client.PostAsync($"/jobs/{running}/cancel", null))
        {
            Assert.True(cancel.IsSuccessStatusCode, $"cancel answered {(int)cancel.StatusCode}");
        }

        await daemon.WaitForEndAsync(running);
        browser.Until(() => browser.Button("Reboot").Enabled, "Reboot enabled once the job ended", NextHostRead);
        Assert.Equal(string.Empty, browser.Id("reboot-reason").Text);
    }

    [BrowserFact]
    public async Task Should_show_the_daemons_problem_when_the_reboot_fails_and_go_on_working()
    {
        await using var daemon = await DaemonFixture.StartAsync("reboot.sh", "--Host:AllowReboot=true", "--Upgrade:ScriptPath=/nonexistent/system-upgrade.sh");
        using var browser = SignedIn(daemon);

        browser.Button("Reboot").Click();
        browser.Button("Reboot in one minute").Click();
        var error = browser.Until(() => Visible(browser.Id("reboot-error")), "the reboot's problem");
        Assert.StartsWith("The root script exited with code", error.Text, StringComparison.Ordinal);
        Assert.True(browser.Button("Reboot").Enabled);
        Assert.False(browser.Id("reboot-scheduled").Displayed);
        browser.Button("Dry run");
    }

    [BrowserFact]
    public async Task Should_offer_no_reboot_unless_the_owner_turned_it_on_and_say_how()
    {
        await using var daemon = await DaemonFixture.StartAsync("reboot.sh");
        using var browser = SignedIn(daemon);

        var off = browser.Until(() => Visible(browser.Id("reboot-off")), "the hint that reboots are off");
        Assert.Contains("Host:AllowReboot=true", off.Text, StringComparison.Ordinal);
        Assert.Null(browser.VisibleButton("Reboot"));
        Assert.Null(browser.VisibleButton("Cancel reboot"));
        Assert.False((await HostAsync(daemon)).GetProperty("rebootAllowed").GetBoolean());
    }

    private static async Task<JsonElement> HostAsync(DaemonFixture daemon) =>
        await daemon.Client.GetFromJsonAsync<JsonElement>("/host");

    /// <summary>The time as the browser shows it in its own time zone, hours and minutes.</summary>
    private static string LocalClock(Browser browser, string iso) =>
        (string)browser.Script("const d = new Date(arguments[0]); return String(d.getHours()).padStart(2, '0') + ':' + String(d.getMinutes()).padStart(2, '0');", iso)!;
}
