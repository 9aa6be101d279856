// RFC 7208 (SPF) section 2.6: the seven results of check_host().
namespace Appliance.MailAuth.Spf;

/// <summary>The result of an SPF check (RFC 7208 2.6).</summary>
public enum SpfVerdict
{
    /// <summary>2.6.1: no syntactically valid domain, or no SPF record for it.</summary>
    None,
    /// <summary>2.6.2: the domain owner states nothing about the client; also the default when nothing matches (4.7).</summary>
    Neutral,
    /// <summary>2.6.3: the client is authorized.</summary>
    Pass,
    /// <summary>2.6.4: the client is explicitly not authorized.</summary>
    Fail,
    /// <summary>2.6.5: probably not authorized, a weak statement.</summary>
    SoftFail,
    /// <summary>2.6.6: a transient DNS error; a later retry may succeed.</summary>
    TempError,
    /// <summary>2.6.7: the published records cannot be interpreted; needs the domain owner's fix.</summary>
    PermError,
}
