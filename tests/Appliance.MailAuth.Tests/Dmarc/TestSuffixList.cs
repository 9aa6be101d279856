using Appliance.MailAuth.Dmarc;

namespace Appliance.MailAuth.Tests.Dmarc;

/// <summary>
/// A tiny list in the real file's format, so unit tests do not depend on the installed list's
/// contents (one test reads the installed file). Written for these tests, not copied from the list.
/// </summary>
internal static class TestSuffixList
{
    public const string Text = """
        // A test list in the publicsuffix.org format.

        // ===BEGIN ICANN DOMAINS===
        com
        net
        org
        uk
        co.uk
        jp
        // A wildcard with an exception below it.
        *.kawasaki.jp
        !city.kawasaki.jp
        ck
        *.ck
        !www.ck
        cn
        公司.cn
        example
        // ===END ICANN DOMAINS===

        // ===BEGIN PRIVATE DOMAINS===
        // Shared hosting: every customer is its own organization.
        blogspot.com
        pages.example.net   trailing text after whitespace is ignored
        // ===END PRIVATE DOMAINS===
        """;

    public static PublicSuffixList List { get; } = PublicSuffixList.Parse(Text);
}
