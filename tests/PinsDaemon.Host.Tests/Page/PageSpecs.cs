using System.Collections.ObjectModel;
using System.Net;
using System.Text.RegularExpressions;
using OpenQA.Selenium;
using PinsDaemon.Cli.Tests.TestSupport;
using PinsDaemon.Host.Tests.TestSupport;

namespace PinsDaemon.Host.Tests.Page;

/// <summary>Browser tests run one at a time, apart from the rest: a browser is heavy on two cores.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BrowserCollection
{
    public const string Name = "browser";
}

/// <summary>
/// The page in headless Chromium against the real daemon: what a person sees and does, found by
/// the roles and names the issue fixes (the password field, the buttons' text, role=log, the
/// progress element, the history table). Each main state is saved as a screenshot under
/// TestResults/page/.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class PageSpecs
{
    [BrowserFact]
    public async Task Should_sign_in_with_the_token_and_keep_it_out_of_every_storage_script_can_read()
    {
        await using var daemon = await DaemonFixture.StartAsync("page-upgrade.sh");
        using var browser = Browser.Start();
        browser.GoTo(daemon.BaseAddress);

        var token = browser.Until(() => Visible(browser.Driver.FindElement(By.CssSelector("input[type=password][name=token]"))), "the token field");
        browser.Screenshot("sign-in");
        token.SendKeys("not-the-token-0123456789abcdef0123456789");
        browser.Button("Sign in").Click();
        browser.Until(() => browser.Id("sign-in-error").Text.Contains("not right", StringComparison.Ordinal), "the wrong token refused");

        browser.Id("token").SendKeys(daemon.Token);
        browser.Button("Sign in").Click();
        browser.Button("Dry run");
        browser.Button("Upgrade");
        browser.Button("Sign out");
        Assert.DoesNotContain(browser.Driver.FindElements(By.CssSelector("input[name=token]")), e => e.Displayed);
        // A single host (no Fleet:Enabled): no fleet part, and the page works on without it.
        browser.Until(() => browser.Id("host-facts").Text.Length > 0, "the machine's facts");
        Assert.False(browser.Id("fleet").Displayed);
        Assert.DoesNotContain(browser.Driver.FindElements(By.XPath("//*[normalize-space(.)='Start rollout']")), e => e.Displayed);

        // Everything script can read: no trace of the token, and the session cookie is not readable either.
        var storage = (ReadOnlyCollection<object>)browser.Script("""
            const all = [];
            for (const store of [localStorage, sessionStorage]) {
              for (let i = 0; i < store.length; i++) { all.push(store.key(i), store.getItem(store.key(i))); }
            }
            return [all.join('\n'), document.cookie, location.href, String(localStorage.length), String(sessionStorage.length), document.getElementById('token').value];
            """)!;
        var (stored, cookies, url) = ((string)storage[0], (string)storage[1], (string)storage[2]);
        Assert.DoesNotContain(daemon.Token, stored, StringComparison.Ordinal);
        Assert.Equal(("0", "0"), ((string)storage[3], (string)storage[4]));
        Assert.Equal(string.Empty, cookies);
        Assert.DoesNotContain(daemon.Token, url, StringComparison.Ordinal);
        Assert.Equal(string.Empty, (string)storage[5]);

        var session = Assert.Single(browser.Driver.Manage().Cookies.AllCookies);
        Assert.True(session.IsHttpOnly);
        Assert.Equal("Strict", session.SameSite);
        Assert.DoesNotContain(daemon.Token, session.Value, StringComparison.Ordinal);
        browser.Screenshot("signed-in-empty");

        // A reload keeps the session (the page reads its anti-forgery token back from the daemon).
        browser.Driver.Navigate().Refresh();
        browser.Button("Dry run");

        browser.Button("Sign out").Click();
        browser.Until(() => Visible(browser.Id("token")), "the sign-in form after signing out");
        using var stale = new HttpClient { BaseAddress = daemon.BaseAddress };
        stale.DefaultRequestHeaders.Add("Cookie", $"{session.Name}={session.Value}");
        Assert.Equal(HttpStatusCode.Unauthorized, (await stale.GetAsync("/jobs")).StatusCode);
    }

    [BrowserFact]
    public async Task Should_show_a_dry_runs_plan_as_a_table_with_its_count_and_ask_before_upgrading()
    {
        await using var daemon = await DaemonFixture.StartAsync("page-upgrade.sh");
        using var browser = SignedIn(daemon);

        browser.Button("Dry run").Click();
        browser.Until(() => browser.Id("plan").Displayed, "the plan");
        Assert.Equal("Plan: 2 packages would change", browser.Id("plan-title").Text);
        var rows = PlanRows(browser, "plan-table");
        Assert.Equal(
            [
                ["zip", "3.0-13 → 3.0-13+deb12u1", "Debian-Security:12/stable-security"],
                ["sl (install)", "new → 5.02-1+b1", "Debian:12.11/stable"],
            ],
            rows);
        Assert.Contains("Dry run finished: 2 packages would change.", browser.Id("banner").Text, StringComparison.Ordinal);
        browser.Until(() => HistoryRows(browser) is [[_, "Dry run", "Succeeded", ..]], "the dry run in the history");

        // The machine (GET /host): what it is, the updates the dry run found, its own reboot flag.
        browser.Until(() => browser.Id("host-updates").Text.StartsWith("2 updates waiting (1 security), found by the dry run of", StringComparison.Ordinal), "the updates waiting");
        var prettyName = File.ReadLines("/etc/os-release").Single(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))["PRETTY_NAME=".Length..].Trim('"');
        Assert.StartsWith(prettyName + " · ", browser.Id("host-facts").Text, StringComparison.Ordinal);
        Assert.Equal(File.Exists("/run/reboot-required"), browser.Id("host-reboot").Displayed);
        browser.Screenshot("dry-run-plan");

        // Upgrade asks first, listing what will change; declining starts nothing.
        browser.Button("Upgrade").Click();
        var dialog = browser.Until(() => Visible(browser.Id("confirm")), "the confirmation");
        Assert.Equal("Upgrade 2 packages?", browser.Id("confirm-title").Text);
        Assert.Equal(rows, PlanRows(browser, "confirm-table"));
        browser.Screenshot("upgrade-confirmation");
        dialog.FindElement(By.XPath(".//button[normalize-space(.)=\"Don't upgrade\"]")).Click();
        browser.Until(() => !browser.Id("confirm").Displayed, "the confirmation closed");
        var jobs = await daemon.Client.GetFromJsonAsync<System.Text.Json.JsonElement[]>("/jobs");
        Assert.Single(jobs!);

        // On a phone, in dark mode.
        browser.AsPhone();
        browser.PreferDark();
        browser.Until(() => (bool)browser.Script("return matchMedia('(prefers-color-scheme: dark)').matches;")!, "dark mode");
        browser.Screenshot("dry-run-plan-phone-dark");
        Assert.True((bool)browser.Script("return document.documentElement.scrollWidth <= window.innerWidth;")!, "the page is wider than a phone's screen");
    }

    [BrowserFact]
    public async Task Should_upgrade_after_confirmation_and_say_a_reboot_is_needed_by_which_packages()
    {
        await using var daemon = await DaemonFixture.StartAsync("page-upgrade.sh");
        using var browser = SignedIn(daemon);

        // No recent dry run: Upgrade runs one first, then asks.
        browser.Button("Upgrade").Click();
        browser.Until(() => Visible(browser.Id("confirm")), "the confirmation after the dry run");
        browser.Button("Upgrade 2 packages").Click();

        browser.Until(() => browser.Id("job-status").Text == "Succeeded" && browser.Id("job-title").Text.StartsWith("Upgrade", StringComparison.Ordinal), "the upgrade to succeed");
        var banner = browser.Until(() => Visible(browser.Id("banner")), "the banner");
        Assert.Contains("Upgrade finished: 2 packages changed.", banner.Text, StringComparison.Ordinal);
        Assert.Equal("Reboot required, because of linux-image-amd64, libc6.", browser.Id("banner-reboot").Text);
        Assert.Contains("ssh.service", browser.Id("banner-services").Text, StringComparison.Ordinal);
        Assert.Equal([["zip", "3.0-13 → 3.0-13+deb12u1"], ["sl", "new → 5.02-1+b1"]], PlanRows(browser, "changed-table"));
        browser.Until(() => HistoryRows(browser) is [[_, "Upgrade", "Succeeded", ..], [_, "Dry run", "Succeeded", ..]], "both jobs in the history");
        browser.Screenshot("reboot-banner");

        // The dry run's log, replayed from disk through its history link.
        browser.Driver.FindElements(By.CssSelector("table#history tbody tr"))[1].FindElement(By.LinkText("Log")).Click();
        browser.Until(() => browser.Id("job-title").Text.StartsWith("Dry run", StringComparison.Ordinal) && browser.LogLines().Count == 7, "the dry run's log");
        Assert.Contains("Inst zip [3.0-13] (3.0-13+deb12u1 Debian-Security:12/stable-security [amd64])", browser.LogLines());
        Assert.Contains("#job=", browser.Driver.Url, StringComparison.Ordinal);
        Assert.Equal("Plan: 2 packages would change", browser.Id("plan-title").Text);
    }

    [BrowserFact]
    public async Task Should_not_confirm_an_upgrade_with_the_plan_of_another_clients_full_upgrade_dry_run()
    {
        await using var daemon = await DaemonFixture.StartAsync("page-upgrade.sh");
        using var browser = SignedIn(daemon);
        using (var response = await daemon.Client.PostAsync("/upgrade", new StringContent("""{"dryRun": true, "mode": "full-upgrade"}""", System.Text.Encoding.UTF8, "application/json")))
        {
            response.EnsureSuccessStatusCode();
        }

        browser.Until(() => HistoryRows(browser) is [[_, "Dry run (full-upgrade)", "Succeeded", ..]], "the other client's full-upgrade dry run");

        // Upgrade runs apt-get upgrade: it plans that first rather than reuse a full-upgrade's plan.
        browser.Button("Upgrade").Click();
        browser.Until(() => Visible(browser.Id("confirm")), "the confirmation");
        Assert.Equal(["Dry run", "Dry run (full-upgrade)"], HistoryRows(browser).Select(row => row[1]));
    }

    [BrowserFact]
    public async Task Should_offer_cancel_only_while_a_cancel_can_be_accepted()
    {
        await using var daemon = await DaemonFixture.StartAsync("cancellable.sh");
        using var browser = SignedIn(daemon);

        browser.Button("Dry run").Click();
        var cancel = browser.Button("Cancel");
        // Cancel is offered from the start (before dpkg), possibly before the first phase arrives.
        browser.Until(() => browser.Id("phase").Text.StartsWith("Updating package lists", StringComparison.Ordinal), "the update phase");
        browser.Screenshot("cancel-offered");
        browser.AsPhone();
        Assert.True((bool)browser.Script("const r = arguments[0].getBoundingClientRect(); return r.left >= 0 && r.right <= window.innerWidth;", cancel)!, "Cancel is off a phone's screen");
        Assert.True((bool)browser.Script("return document.documentElement.scrollWidth <= window.innerWidth;")!, "the page is wider than a phone's screen");
        browser.Screenshot("cancel-offered-phone");
        cancel.Click();

        browser.Until(() => browser.Id("job-status").Text == "Cancelled", "the job cancelled");
        Assert.Null(browser.VisibleButton("Cancel"));
        Assert.Contains("Dry run cancelled before anything changed.", browser.Id("banner").Text, StringComparison.Ordinal);
        browser.Screenshot("cancelled");
    }

    [BrowserFact]
    public async Task Should_end_a_failed_job_with_its_reason_in_plain_words_and_say_who_ran_it_on_a_phone()
    {
        await using var daemon = await DaemonFixture.StartAsync("lock-held.sh");
        using var browser = SignedIn(daemon);
        browser.AsPhone();

        browser.Button("Dry run").Click();
        browser.Until(() => browser.Id("job-status").Text == "Failed", "the job to fail");
        browser.Until(() => Visible(browser.Id("banner")), "the banner");
        Assert.Equal("Dry run failed: another package manager held the package lock for too long.", browser.Id("banner-outcome").Text);
        Assert.False(string.IsNullOrWhiteSpace(browser.Id("banner-message").Text));
        Assert.False(browser.Id("banner-reboot").Displayed);
        Assert.Equal("Run detached, in a session of its own (no systemd)", browser.Id("job-supervisor").Text);
        Assert.Equal(["E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (apt-get)"], browser.LogLines());
        browser.Until(() => HistoryRows(browser) is [[_, "Dry run", "Failed", ..]], "the failed job in the history");
        Assert.True((bool)browser.Script("return document.documentElement.scrollWidth <= window.innerWidth;")!, "the page is wider than a phone's screen");
        browser.Screenshot("failed-phone");
    }

    [BrowserFact]
    public async Task Should_show_phase_package_and_one_overall_bar_and_no_cancel_once_dpkg_runs()
    {
        using var script = new InstallingScript();
        await using var daemon = await DaemonFixture.StartAsync(script.Name);
        using var browser = SignedIn(daemon);
        await daemon.StartJobAsync(dryRun: false);

        browser.Until(() => browser.Id("package").Text.Contains("openssl", StringComparison.Ordinal), "the package being configured");
        Assert.Equal("Installing · 81 %", browser.Id("phase").Text);
        Assert.Equal("81.25", browser.Id("progress").GetDomProperty("value"));
        Assert.Equal("openssl — Configuring openssl (arm64)", browser.Id("package").Text);
        Assert.Equal("Running", browser.Id("job-status").Text);
        Assert.Null(browser.VisibleButton("Cancel"));
        browser.Until(() => Regex.IsMatch(browser.Id("elapsed").Text, "^Elapsed [0-9]+:[0-5][0-9]$"), "the elapsed time");
        browser.Screenshot("upgrade-running");

        script.Open();
        browser.Until(() => browser.Id("job-status").Text == "Succeeded", "the upgrade to end");
    }

    [BrowserFact]
    public async Task Should_show_live_lines_in_order_and_the_overall_progress_of_a_job_started_elsewhere()
    {
        using var script = new GatedScript(before: 40, after: 60);
        await using var daemon = await DaemonFixture.StartAsync(script.Name);
        using var browser = SignedIn(daemon);

        // Started by another client: the page finds it and follows it.
        var job = await daemon.StartJobAsync(dryRun: false);
        browser.Until(() => browser.LogLines().Count == 40, "the first 40 lines, live");
        Assert.Equal("Running", browser.Id("job-status").Text);
        Assert.Equal(Lines("before", 40), browser.LogLines());
        Assert.NotNull(browser.Driver.FindElement(By.CssSelector("#job progress")));
        browser.Until(() => browser.Id("elapsed").Text.StartsWith("Elapsed", StringComparison.Ordinal), "the elapsed time");
        browser.Screenshot("running");

        script.Open();
        browser.Until(() => browser.Id("job-status").Text == "Succeeded", "the job to end");
        Assert.Equal([.. Lines("before", 40), .. Lines("after", 60)], browser.LogLines());
        Assert.Equal(job.GetProperty("jobId").GetString(), await CurrentJobIdAsync(browser));
    }

    [BrowserFact]
    public async Task Should_follow_the_log_only_while_it_is_scrolled_to_the_bottom()
    {
        using var script = new GatedScript(before: 200, after: 200);
        await using var daemon = await DaemonFixture.StartAsync(script.Name);
        using var browser = SignedIn(daemon);
        await daemon.StartJobAsync(dryRun: false);
        browser.Until(() => browser.LogLines().Count == 200, "the first lines");
        browser.Until(() => AtBottom(browser), "the log following");

        browser.Script("const log = document.querySelector('[role=log]'); log.scrollTop = 0; log.dispatchEvent(new Event('scroll'));");
        script.Open();
        browser.Until(() => browser.Id("job-status").Text == "Succeeded", "the job to end");
        Assert.Equal(0L, Convert.ToInt64(browser.Script("return document.querySelector('[role=log]').scrollTop;")));
        var follow = browser.Button("Follow the log");
        follow.Click();
        browser.Until(() => AtBottom(browser), "the log at its end again");
    }

    [BrowserFact]
    public async Task Should_resume_without_a_gap_or_a_repeat_when_the_connection_drops_mid_job()
    {
        using var script = new GatedScript(before: 50, after: 150);
        await using var daemon = await DaemonFixture.StartAsync(script.Name);
        await using var relay = new TcpRelay(daemon.BaseAddress);
        using var browser = SignedIn(daemon, relay.Address);
        await daemon.StartJobAsync(dryRun: false);
        browser.Until(() => browser.LogLines().Count == 50, "the lines before the drop");
        var connections = relay.Accepted;

        // The lines after the gate are written while the page has no connection.
        relay.DropAll();
        script.Open();
        browser.Until(() => browser.Id("job-status").Text == "Succeeded", "the job to end after the drop");
        Assert.True(relay.Accepted > connections, "the page never reconnected");
        Assert.Equal([.. Lines("before", 50), .. Lines("after", 150)], browser.LogLines());
        browser.Screenshot("resumed-after-drop");
    }

    [BrowserFact]
    public async Task Should_resume_by_itself_when_the_daemon_restarts_mid_job()
    {
        using var script = new GatedScript(before: 50, after: 50);
        var storage = DaemonFixture.NewStorageDirectory();
        var token = DaemonFixture.NewToken();
        try
        {
            var first = await DaemonFixture.StartWithStorageAsync(script.Name, storage, token);
            var address = first.BaseAddress;
            using var browser = SignedIn(first);
            var jobId = (await first.StartJobAsync(dryRun: false)).GetProperty("jobId").GetString();
            browser.Until(() => browser.LogLines().Count == 50, "the lines before the restart");

            // The run outlives the daemon; the page notices the daemon going and coming back.
            await first.DisposeAsync();
            browser.Until(() => browser.Id("connection").Text.Length > 0, "the page noticing the daemon went away");
            await using var second = await DaemonFixture.StartWithStorageAsync(script.Name, storage, token, "--urls", address.ToString());
            script.Open();

            // The session outlived the restart: no sign-in, and the rest of the job arrives on the same page.
            browser.Until(() => browser.Id("job-status").Text == "Succeeded", "the page to reconnect and follow the job to its end");
            Assert.False(browser.Id("sign-in-view").Displayed);
            Assert.Equal([.. Lines("before", 50), .. Lines("after", 50)], browser.LogLines());
            Assert.Equal(jobId, await CurrentJobIdAsync(browser));
        }
        finally
        {
            await TestRuns.DeleteStorageAsync(storage);
        }
    }

    [BrowserFact]
    public async Task Should_say_in_plain_words_when_the_run_disappeared_without_an_exit_record()
    {
        using var script = new GatedScript(before: 20, after: 0);
        var storage = DaemonFixture.NewStorageDirectory();
        try
        {
            await using var daemon = await DaemonFixture.StartWithStorageAsync(script.Name, storage, DaemonFixture.NewToken());
            using var browser = SignedIn(daemon);
            var jobId = (await daemon.StartJobAsync(dryRun: false)).GetProperty("jobId").GetString()!;
            browser.Until(() => browser.LogLines().Count == 20, "the run's lines");

            // Killed with its whole session, as the OOM killer or a stray kill would: no exit record.
            TestRuns.Kill(TestRuns.Pid(storage, jobId)!.Value);

            browser.Until(() => browser.Id("job-status").Text == "Interrupted", "the job to end interrupted");
            Assert.Equal("Upgrade interrupted: the run disappeared without saying how it ended.", browser.Id("banner-outcome").Text);
            Assert.Null(browser.VisibleButton("Cancel"));
            Assert.Equal(Lines("before", 20), browser.LogLines());
            browser.Until(() => HistoryRows(browser) is [[_, "Upgrade", "Interrupted", ..]], "the job in the history");
            browser.Screenshot("interrupted");
        }
        finally
        {
            await TestRuns.DeleteStorageAsync(storage);
        }
    }

    [BrowserFact]
    public async Task Should_be_usable_from_the_keyboard_alone()
    {
        await using var daemon = await DaemonFixture.StartAsync("page-upgrade.sh");
        using var browser = Browser.Start();
        browser.GoTo(daemon.BaseAddress);
        browser.Until(() => Visible(browser.Id("token")), "the token field");

        // The field has the focus on arrival; Enter signs in; Tab reaches the buttons; Enter presses them.
        browser.Driver.SwitchTo().ActiveElement().SendKeys(daemon.Token + Keys.Enter);
        browser.Button("Dry run");
        var active = browser.Driver.SwitchTo().ActiveElement();
        for (var i = 0; i < 10 && active.Text != "Dry run"; i++)
        {
            active.SendKeys(Keys.Tab);
            active = browser.Driver.SwitchTo().ActiveElement();
        }

        Assert.Equal("Dry run", active.Text);
        active.SendKeys(Keys.Enter);
        browser.Until(() => browser.Id("job-status").Text == "Succeeded", "the dry run started with Enter");
        Assert.Equal("Plan: 2 packages would change", browser.Id("plan-title").Text);
    }

    [BrowserFact]
    public async Task Should_show_package_output_as_text_never_as_markup()
    {
        await using var daemon = await DaemonFixture.StartAsync("markup-output.sh");
        using var browser = SignedIn(daemon);
        browser.Button("Dry run").Click();
        browser.Until(() => browser.Id("job-status").Text == "Succeeded", "the job to end");

        Assert.Equal(
            ["<img src=x onerror=\"document.title=1\">", "<b>not bold</b> &amp; <script>document.title=2</script>", "plain line"],
            browser.LogLines());
        Assert.Empty(browser.Log.FindElements(By.CssSelector("img, b, script")));
        Assert.Equal("PinsDaemon", browser.Driver.Title);
    }

    [BrowserFact]
    public async Task Should_refuse_a_request_with_the_session_cookie_but_without_the_anti_forgery_header()
    {
        await using var daemon = await DaemonFixture.StartAsync("page-upgrade.sh");
        using var browser = SignedIn(daemon);

        // What a forged request would be: the browser sends the cookie, but nothing else knows the header.
        var statuses = (ReadOnlyCollection<object>)browser.Driver.ExecuteAsyncScript("""
            const done = arguments[arguments.length - 1];
            const post = (headers) => fetch('/upgrade', { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: '{"dryRun": true}' }).then(r => r.status);
            Promise.all([post({}), post({ 'X-CSRF-Token': 'guessed' }), fetch('/jobs').then(r => r.status)]).then(done, e => done(String(e)));
            """)!;
        Assert.Equal([403L, 403L, 200L], statuses.Select(Convert.ToInt64));
        Assert.Empty((await daemon.Client.GetFromJsonAsync<System.Text.Json.JsonElement[]>("/jobs"))!);

        // The page itself sends it.
        browser.Button("Dry run").Click();
        browser.Until(() => browser.Id("job-status").Text == "Succeeded", "the page's own dry run");
    }

    internal static Browser SignedIn(DaemonFixture daemon, Uri? address = null)
    {
        var browser = Browser.Start();
        try
        {
            browser.GoTo(address ?? daemon.BaseAddress);
            browser.Until(() => Visible(browser.Id("token")), "the token field").SendKeys(daemon.Token);
            browser.Button("Sign in").Click();
            browser.Button("Dry run");
            return browser;
        }
        catch
        {
            browser.Dispose();
            throw;
        }
    }

    internal static IWebElement? Visible(IWebElement element) => element.Displayed ? element : null;

    private static bool AtBottom(Browser browser) =>
        (bool)browser.Script("const l = document.querySelector('[role=log]'); return l.scrollHeight - l.scrollTop - l.clientHeight < 8;")!;

    private static List<string> Lines(string prefix, int count) =>
        Enumerable.Range(1, count).Select(i => $"{prefix} {i}").ToList();

    private static List<List<string>> PlanRows(Browser browser, string tableId) =>
        browser.Id(tableId).FindElements(By.CssSelector("tbody tr"))
            .Select(row => row.FindElements(By.TagName("td")).Select(cell => cell.Text).ToList())
            .ToList();

    private static List<List<string>> HistoryRows(Browser browser) =>
        browser.Driver.FindElements(By.CssSelector("table#history tbody tr"))
            .Select(row => row.FindElements(By.TagName("td")).Select(cell => cell.Text).ToList())
            .ToList();

    private static Task<string?> CurrentJobIdAsync(Browser browser) =>
        Task.FromResult(browser.Driver.FindElement(By.CssSelector("table#history tr.current a")).GetAttribute("href")?.Split("#job=")[1]);
}
