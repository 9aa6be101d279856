using Microsoft.Playwright;

namespace Appliance.Web.Tests.Ui;

/// <summary>
/// Debian's chromium driven by Playwright (../shared/TOOLCHAIN.md: never `playwright install`).
/// Failing steps leave a screenshot under the test output's screenshots/ directory.
/// </summary>
internal sealed class Browser : IAsyncDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private Browser(IPlaywright playwright, IBrowser browser, IBrowserContext context, IPage page)
    {
        _playwright = playwright;
        _browser = browser;
        Context = context;
        Page = page;
    }

    public IBrowserContext Context { get; }

    public IPage Page { get; }

    public static async Task<Browser> LaunchAsync()
    {
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"],
        });
        // The host's certificate is self-signed (the bootstrap certificate before ACME).
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { IgnoreHTTPSErrors = true });
        context.SetDefaultTimeout(30_000);
        return new Browser(playwright, browser, context, await context.NewPageAsync());
    }

    /// <summary>Runs the steps; on failure saves a screenshot named after the test, then rethrows.</summary>
    public async Task StepsAsync(string name, Func<IPage, Task> steps)
    {
        try
        {
            await steps(Page);
        }
        catch
        {
            string directory = Path.Combine(AppContext.BaseDirectory, "screenshots");
            Directory.CreateDirectory(directory);
            try
            {
                await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(directory, name + ".png"), FullPage = true, Timeout = 10_000 });
            }
            catch (Exception e) when (e is PlaywrightException or TimeoutException)
            {
                // A page that cannot be photographed must not hide the step's own failure.
            }
            throw;
        }
    }

    /// <summary>Opens the sign-in page (with a return path when given) and submits an address and password.</summary>
    public static async Task SignInAsync(IPage page, Uri site, string address, string password, string? returnUrl = null)
    {
        string path = returnUrl is null ? "/signin" : "/signin?ReturnUrl=" + Uri.EscapeDataString(returnUrl);
        await page.GotoAsync(new Uri(site, path).ToString());
        await page.GetByLabel("Address").FillAsync(address);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Context.CloseAsync();
        await _browser.CloseAsync();
        _playwright.Dispose();
    }
}
