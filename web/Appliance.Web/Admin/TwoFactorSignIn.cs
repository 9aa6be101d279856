using System.Globalization;
using Microsoft.AspNetCore.DataProtection;

namespace Appliance.Web.Admin;

/// <summary>
/// Between the password and the code of a two-factor sign-in, the browser holds a short-lived
/// cookie naming the account whose password was right: encrypted and signed with Data Protection,
/// valid for <see cref="Lifetime"/>, sent only to the code page. Nothing is signed in until the code is.
/// </summary>
public sealed class TwoFactorSignIn(IDataProtectionProvider provider, TimeProvider time)
{
    public const string CookieName = "appliance.2fa";
    public const string CodePath = "/signin/code";

    /// <summary>Time to open the app and type a code; then the password is asked again.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);

    private readonly ITimeLimitedDataProtector _protector = provider.CreateProtector("Appliance.SignIn.SecondStep.v1").ToTimeLimitedDataProtector();

    public void Begin(HttpContext context, int mailboxId)
    {
        string value = _protector.Protect(mailboxId.ToString(CultureInfo.InvariantCulture), time.GetUtcNow() + Lifetime);
        context.Response.Cookies.Append(CookieName, value, new CookieOptions
        {
            HttpOnly = true,
            Secure = true,
            SameSite = SameSiteMode.Strict,
            Path = CodePath,
            MaxAge = Lifetime,
        });
    }

    /// <summary>The account waiting for its code, or null (no cookie, expired, tampered).</summary>
    public int? Pending(HttpContext context)
    {
        if (!context.Request.Cookies.TryGetValue(CookieName, out string? value) || value is null)
            return null;
        try
        {
            return int.Parse(_protector.Unprotect(value, out var expires), NumberStyles.None, CultureInfo.InvariantCulture) is var id && expires > time.GetUtcNow() ? id : null;
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return null;
        }
    }

    public static void End(HttpContext context) => context.Response.Cookies.Delete(CookieName, new CookieOptions { Path = CodePath, Secure = true, SameSite = SameSiteMode.Strict });

    /// <summary>Only local paths: an absolute or protocol-relative return URL would be an open redirect.</summary>
    public static string LocalOrHome(string? url) =>
        url is { Length: > 0 } && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\')) ? url : "/";
}
