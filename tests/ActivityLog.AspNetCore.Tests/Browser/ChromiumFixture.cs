using Microsoft.Playwright;

namespace ActivityLog.AspNetCore.Tests.Browser;

/// <summary>
/// One headless Chromium for the browser tests: Debian's /usr/bin/chromium (installed by scripts/chromium.sh;
/// <c>playwright install</c> cannot download browsers here), driven by Microsoft.Playwright. Each test opens its own
/// browser context, so cookies never leak between tests.
/// </summary>
public sealed class ChromiumFixture : IAsyncLifetime
{
    public const string ExecutablePath = "/usr/bin/chromium";

    /// <summary>A hang guard for every Playwright wait on a loaded 2-core machine, not a synchronisation device.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("Chromium is not started.");

    public async Task InitializeAsync()
    {
        File.Exists(ExecutablePath).Should().BeTrue($"the browser tests need {ExecutablePath}: run scripts/chromium.sh (as root)");
        Assertions.SetDefaultExpectTimeout((float)Timeout.TotalMilliseconds);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Timeout = (float)Timeout.TotalMilliseconds,
            Args =
            [
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}

/// <summary>The browser tests share one Chromium and run one after another (two cores: no parallel browsers).</summary>
[CollectionDefinition(Name)]
public sealed class ChromiumTestGroup : ICollectionFixture<ChromiumFixture>
{
    public const string Name = "Chromium";
}
