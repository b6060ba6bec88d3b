using System.Collections.ObjectModel;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;

namespace PinsDaemon.Host.Tests.Page;

/// <summary>
/// Headless Chromium from Debian's <c>chromium</c> package, driven through Debian's
/// <c>chromium-driver</c> with Selenium. Selenium is given both paths, so it never tries to
/// download a browser or a driver of its own (nothing outside the package registries is
/// reachable here). One browser per test, each with a fresh profile: no cookie or storage
/// carries over from one test to the next.
/// </summary>
public sealed class Browser : IDisposable
{
    public static readonly string ChromiumPath = Environment.GetEnvironmentVariable("PINS_CHROMIUM") ?? "/usr/bin/chromium";

    public static readonly string DriverPath = Environment.GetEnvironmentVariable("PINS_CHROMEDRIVER") ?? "/usr/bin/chromedriver";

    /// <summary>Generous: the machine is shared and loaded; every wait ends as soon as its condition holds.</summary>
    public static readonly TimeSpan DefaultWait = TimeSpan.FromSeconds(30);

    private readonly string _profile;

    private Browser(ChromeDriver driver, string profile)
    {
        Driver = driver;
        _profile = profile;
    }

    public ChromeDriver Driver { get; }

    /// <summary>Why the browser tests cannot run here, or null when they can.</summary>
    public static string? Missing()
    {
        var missing = new[] { ChromiumPath, DriverPath }.Where(path => !File.Exists(path)).ToList();
        return missing.Count == 0
            ? null
            : $"Browser tests need Debian's chromium and chromium-driver ({string.Join(" and ", missing)} missing): apt-get install chromium chromium-driver";
    }

    public static Browser Start()
    {
        if (Missing() is { } why)
        {
            // Only reached in CI (BrowserFact skips elsewhere): there, a missing browser is a failure.
            throw new InvalidOperationException(why);
        }

        var profile = Directory.CreateTempSubdirectory("pins-chromium-").FullName;
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(DriverPath)!, Path.GetFileName(DriverPath));
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        var options = new ChromeOptions { BinaryLocation = ChromiumPath };
        options.AddArguments(
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1280,1000",
            $"--user-data-dir={profile}");
        try
        {
            var driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(90));
            driver.Manage().Timeouts().AsynchronousJavaScript = TimeSpan.FromSeconds(20);
            return new Browser(driver, profile);
        }
        catch
        {
            Directory.Delete(profile, recursive: true);
            throw;
        }
    }

    public void GoTo(Uri url) => Driver.Navigate().GoToUrl(url);

    /// <summary>Polls until <paramref name="probe"/> returns a value (not null, not false), or fails naming what was awaited.</summary>
    public T Until<T>(Func<T?> probe, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultWait);
        Exception? last = null;
        while (true)
        {
            try
            {
                var value = probe();
                if (value is not null && value is not false)
                {
                    return value;
                }
            }
            catch (WebDriverException ex)
            {
                // An element replaced while we looked at it: look again.
                last = ex;
            }

            if (DateTime.UtcNow > deadline)
            {
                var shot = TryScreenshot("failed-" + string.Concat(what.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-')));
                throw new TimeoutException($"Waited {(timeout ?? DefaultWait).TotalSeconds:0} s for {what} (screenshot: {shot}). Page text:\n{PageText()}", last);
            }

            Thread.Sleep(50);
        }
    }

    public IWebElement Id(string id) => Driver.FindElement(By.Id(id));

    /// <summary>The visible button whose text is exactly <paramref name="text"/>, as a person would look for it.</summary>
    public IWebElement? VisibleButton(string text) =>
        Driver.FindElements(By.XPath($"//button[normalize-space(.)='{text}']")).FirstOrDefault(b => b.Displayed);

    public IWebElement Button(string text) => Until(() => VisibleButton(text), $"a visible '{text}' button");

    public IWebElement Log => Driver.FindElement(By.CssSelector("[role=log]"));

    /// <summary>The log's lines as shown, one entry per line element.</summary>
    public IReadOnlyList<string> LogLines() =>
        ((ReadOnlyCollection<object>)Driver.ExecuteScript(
            "return Array.from(document.querySelector('[role=log]').children).filter(e => !e.classList.contains('dropped')).map(e => e.textContent);")!)
        .Cast<string>()
        .ToList();

    public object? Script(string script, params object[] args) => Driver.ExecuteScript(script, args);

    public string PageText()
    {
        try
        {
            return Driver.FindElement(By.TagName("body")).Text;
        }
        catch (WebDriverException ex)
        {
            return $"(unreadable: {ex.Message})";
        }
    }

    /// <summary>A phone's screen (a 390×844 CSS-pixel viewport).</summary>
    public void AsPhone() => Driver.Manage().Window.Size = new System.Drawing.Size(390, 1100);

    /// <summary>What <c>prefers-color-scheme</c> says, as a system set to dark would.</summary>
    public void PreferDark() =>
        Driver.ExecuteCdpCommand("Emulation.setEmulatedMedia", new Dictionary<string, object?>
        {
            ["features"] = new[] { new Dictionary<string, object> { ["name"] = "prefers-color-scheme", ["value"] = "dark" } },
        });

    /// <summary>Saves the page as it looks now under <c>TestResults/page/NAME.png</c> at the repository's root.</summary>
    public string Screenshot(string name)
    {
        var directory = ScreenshotDirectory();
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, name + ".png");
        Driver.GetScreenshot().SaveAsFile(path);
        return path;
    }

    private string TryScreenshot(string name)
    {
        try
        {
            return Screenshot(name);
        }
        catch (WebDriverException ex)
        {
            return $"none ({ex.Message})";
        }
    }

    public static string ScreenshotDirectory()
    {
        if (Environment.GetEnvironmentVariable("PINS_SCREENSHOTS") is { Length: > 0 } configured)
        {
            return configured;
        }

        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "PinsDaemon.sln")))
        {
            directory = directory.Parent;
        }

        return Path.Combine(directory?.FullName ?? AppContext.BaseDirectory, "TestResults", "page");
    }

    public void Dispose()
    {
        try
        {
            Driver.Quit();
        }
        finally
        {
            Driver.Dispose();
            try
            {
                Directory.Delete(_profile, recursive: true);
            }
            catch (IOException)
            {
                // A helper process still writing its profile as it exits; the temp directory is reclaimed later.
            }
        }
    }
}
