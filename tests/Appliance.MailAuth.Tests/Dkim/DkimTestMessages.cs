using System.Text;
using Appliance.Dns;
using Appliance.MailAuth.Dkim;

namespace Appliance.MailAuth.Tests.Dkim;

internal static class DkimTestMessages
{
    /// <summary>RFC 8463 appendix A.3: the sample message with both signatures, CRLF line ends.</summary>
    public static readonly byte[] Rfc8463Message = Encoding.ASCII.GetBytes(string.Join("\r\n",
        "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;",
        " d=football.example.com; i=@football.example.com;",
        " q=dns/txt; s=brisbane; t=1528637909; h=from : to :",
        " subject : date : message-id : from : subject : date;",
        " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;",
        " b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus",
        " Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==",
        "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;",
        " d=football.example.com; i=@football.example.com;",
        " q=dns/txt; s=test; t=1528637909; h=from : to : subject :",
        " date : message-id : from : subject : date;",
        " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;",
        " b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3",
        " DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz",
        " dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=",
        "From: Joe SixPack <joe@football.example.com>",
        "To: Suzie Q <suzie@shopping.example.net>",
        "Subject: Is dinner ready?",
        "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)",
        "Message-ID: <20030712040037.46341.5F8J@football.example.com>",
        "",
        "Hi.",
        "",
        "We lost the game.  Are you hungry yet?",
        "",
        "Joe.",
        ""));

    /// <summary>RFC 8463 A.2: the published key records.</summary>
    public const string Rfc8463Ed25519Record = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

    public const string Rfc8463RsaRecord = "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB";

    /// <summary>RFC 8463 A.1: the Ed25519 private key.</summary>
    public const string Rfc8463Ed25519Seed = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";

    public const string Unsigned =
        "From: Joe SixPack <joe@example.com>\r\n" +
        "To: Suzie Q <suzie@example.net>\r\n" +
        "Subject: Is dinner ready?\r\n" +
        "Date: Fri, 11 Jul 2003 21:00:37 -0700\r\n" +
        "Message-ID: <20030712040037.46341.5F8J@example.com>\r\n" +
        "\r\n" +
        "Hi.\r\n" +
        "\r\n" +
        "We lost the game.  Are you hungry yet?  \r\n" +
        "\r\n" +
        "Joe.\r\n";

    public static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    public static string Sign(DkimSigningKey key, string message, DkimSignerOptions? options = null, string domain = "example.com", string selector = "sel") =>
        new DkimSigner(key, domain, selector, options).Sign(Bytes(message)) + message;

    public static FakeDnsResolver KeyDns(DkimSigningKey key, string domain = "example.com", string selector = "sel") =>
        new FakeDnsResolver().AddTxt($"{selector}._domainkey.{domain}", key.DnsRecordValue);
}
