using System.Collections.ObjectModel;
using OpenQA.Selenium;
using PinsDaemon.Contracts;
using PinsDaemon.Fleet.Tests.TestSupport;
using PinsDaemon.Host.Tests.Page;

namespace PinsDaemon.Fleet.Tests;

/// <summary>
/// The page's fleet view in headless Chromium against a controller of a real two-host fleet:
/// the hosts table, a rolling dry run started with one click and a confirmation, the rollout's
/// per-host states with Pause and Resume, and the merged log with each line tagged by its host.
/// Screenshots go to TestResults/page/ with the page's others.
/// </summary>
public sealed class FleetPageSpecs
{
    [BrowserFact]
    public async Task Should_start_a_rolling_dry_run_and_show_each_hosts_lines_in_the_merged_log_one_host_after_the_other()
    {
        await using var fleet = await TestFleet.StartAsync(("pi-1", true), ("pi-2", false));
        var controller = fleet["pi-1"];
        using var browser = Browser.Start();
        browser.GoTo(controller.BaseAddress);
        browser.Until(() => Visible(browser.Id("token")), "the token field").SendKeys(controller.Token);
        browser.Button("Sign in").Click();

        // The hosts table (GET /fleet/hosts): both members, reachable.
        browser.Until(() => HostRows(browser) is [["pi-1", "Yes", ..], ["pi-2", "Yes", ..]], "both hosts in the fleet's table");
        browser.Screenshot("fleet-hosts");

        // pi-1 holds after its first lines, so the page is seen following it while pi-2 waits.
        controller.Hold(true);
        fleet["pi-2"].OfferUpdate(true);
        Assert.True(browser.Id("rollout-dry-run").Selected);
        browser.Button("Start rollout").Click();
        var dialog = browser.Until(() => Visible(browser.Id("rollout-confirm")), "the rollout's confirmation");
        Assert.Equal("Dry run on every host (2 now)?", browser.Id("rollout-confirm-title").Text);
        Assert.Contains("batches of 1; stop at the first failure; never reboot.", browser.Id("rollout-confirm-plan").Text, StringComparison.Ordinal);
        browser.Screenshot("fleet-rollout-confirmation");
        dialog.FindElement(By.XPath(".//button[normalize-space(.)='Start the dry run']")).Click();

        browser.Until(() => FleetLog(browser).Contains("pi-1 | pi-1 line 20"), "pi-1's first lines in the merged log");
        Assert.Equal("Running", browser.Id("rollout-status").Text);
        browser.Until(() => RolloutHostRows(browser) is [["pi-1", _, "Running", ..], ["pi-2", _, "Pending", ..]], "pi-1 running, pi-2 pending");
        Assert.DoesNotContain(FleetLog(browser), line => line.StartsWith("pi-2 | ", StringComparison.Ordinal));

        // Pause starts no new host: pi-1 finishes, pi-2 stays pending until Resume.
        browser.Button("Pause").Click();
        browser.Until(() => browser.Id("rollout-status").Text == "Paused", "the rollout paused");
        controller.Hold(false);
        browser.Until(() => RolloutHostRows(browser) is [[_, _, "Succeeded", ..], [_, _, "Pending", ..]], "pi-1 done while pi-2 waits");
        ScrollTo(browser, "rollout");
        browser.Screenshot("fleet-rollout-paused");
        Assert.Equal(0, fleet["pi-2"].Runs);
        browser.Button("Resume").Click();

        browser.Until(() => browser.Id("rollout-status").Text == "Completed", "the rollout completed");
        browser.Until(() => FleetLog(browser).Contains("Rollout completed."), "the merged log's end");
        Assert.Equal(["Succeeded", "Succeeded"], RolloutHostRows(browser).Select(row => row[2]));
        // The hosts' summaries are read again once the rollout is over: what each dry run found
        // (pi-1's script gives no plan, so its count stays unknown).
        browser.Until(() => HostRows(browser) is [["pi-1", "Yes", "unknown", "No", _], ["pi-2", "Yes", "1 (1 security)", "No", _]], "the dry runs' findings in the hosts table");
        ScrollTo(browser, "rollout");
        browser.Screenshot("fleet-rollout-completed");

        // Each host's lines, tagged with it, exactly as that host's own log has them, in its order.
        var rollout = (await TestFleet.ListRolloutsAsync(controller)).Single();
        var shown = FleetLog(browser);
        foreach (var host in rollout.Hosts)
        {
            var own = await MergedLog.OwnLogAsync(fleet[host.Host], host.JobId!);
            Assert.Equal(own.Select(line => $"{host.Host} | {line.Text}"), shown.Where(line => line.StartsWith($"{host.Host} | ", StringComparison.Ordinal)));
            Assert.Contains($"{host.Host} | {host.Host}: done", shown);
        }

        // One after the other: pi-2's first line comes after everything pi-1 printed before it held.
        var firstOfPi2 = shown.FindIndex(line => line.StartsWith("pi-2 | ", StringComparison.Ordinal));
        Assert.True(firstOfPi2 > shown.IndexOf("pi-1 | pi-1 line 20"), string.Join('\n', shown));
        Assert.Equal(1, fleet["pi-1"].Runs);
        Assert.Equal(1, fleet["pi-2"].Runs);

        // The rollout's row in the list, and the view on a phone.
        Assert.Contains(browser.Driver.FindElements(By.CssSelector("table#rollouts tbody tr")), row => row.Text.Contains("2 of 2 hosts succeeded", StringComparison.Ordinal));
        browser.AsPhone();
        ScrollTo(browser, "rollout");
        browser.Screenshot("fleet-rollout-phone");
        Assert.True((bool)browser.Script("return document.documentElement.scrollWidth <= window.innerWidth;")!, "the page is wider than a phone's screen");
    }

    private static void ScrollTo(Browser browser, string id) => browser.Script("document.getElementById(arguments[0]).scrollIntoView();", id);

    private static IWebElement? Visible(IWebElement element) => element.Displayed ? element : null;

    private static List<string> FleetLog(Browser browser) =>
        ((ReadOnlyCollection<object>)browser.Script(
            "return Array.from(document.getElementById('fleet-log').children).filter(e => !e.classList.contains('dropped')).map(e => e.textContent);")!)
        .Cast<string>()
        .ToList();

    private static List<List<string>> HostRows(Browser browser) => Rows(browser, "table#fleet-hosts tbody tr");

    private static List<List<string>> RolloutHostRows(Browser browser) => Rows(browser, "table#rollout-hosts tbody tr");

    private static List<List<string>> Rows(Browser browser, string selector) =>
        browser.Driver.FindElements(By.CssSelector(selector))
            .Select(row => row.FindElements(By.CssSelector("th, td")).Select(cell => cell.Text).ToList())
            .ToList();
}
