namespace PinsDaemon.Host.Tests.Page;

/// <summary>
/// A test that drives a real browser. Without Debian's chromium and chromium-driver it is
/// skipped, with the reason and the command that installs them, never passed; in CI (CI=true),
/// where .ci/run installs them, it runs and fails instead.
/// </summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    public BrowserFactAttribute()
    {
        if (Browser.Missing() is { } why && Environment.GetEnvironmentVariable("CI") != "true")
        {
            Skip = why;
        }
    }
}
