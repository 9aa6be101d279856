namespace Appliance.Server.Configuration;

/// <summary>The web admin's policies (Appliance:Admin).</summary>
public sealed class AdminOptions
{
    /// <summary>
    /// When true, an admin or domain admin without two-factor sign-in is sent to its set-up page
    /// after signing in and can use nothing else until it is on. Off by default: a fresh server
    /// has one admin who may have no authenticator app at hand, and the first sign-in must not
    /// strand them; turn it on once the admins are enrolled, since an admin's password alone then
    /// no longer gives the whole server away (OWASP ASVS 4.0 V2.2.1 asks for a second factor on
    /// administrative interfaces).
    /// </summary>
    public bool RequireTwoFactor { get; set; }
}
