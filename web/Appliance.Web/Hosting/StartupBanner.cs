using System.Globalization;
using System.Net;
using System.Text;
using Appliance.Server.Configuration;
using Appliance.Server.Listeners;

namespace Appliance.Web.Hosting;

/// <summary>The one block printed at start-up: where everything listens and how to sign in first.</summary>
internal static class StartupBanner
{
    /// <summary>
    /// How to get the first administrator. The CLI's wording lives here and only here; change it
    /// together with the `user add` command.
    /// </summary>
    internal const string FirstSignInHint =
        "No administrator yet. Create the first one with:\n" +
        "  appliance domain add {0}\n" +
        "  appliance user add admin@{0} --role admin";

    /// <param name="hasAdministrator">False prints how to create the first administrator.</param>
    public static string Render(ApplianceOptions options, ApplianceEndpoints endpoints, string certificatePath, bool hasAdministrator)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Appliance mail server {options.Hostname} is running.");
        foreach (var (kind, endPoint) in endpoints.All)
            text.AppendLine(CultureInfo.InvariantCulture, $"  {Describe(kind),-32} {Format(kind, endPoint)}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  {"Data directory",-32} {options.DataPath}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  {"TLS certificate",-32} {certificatePath}");
        if (!hasAdministrator)
            text.Append(string.Format(CultureInfo.InvariantCulture, FirstSignInHint, MailDomainOf(options.Hostname)));
        return text.ToString().TrimEnd();
    }

    internal static string Describe(ListenerKind kind) => kind switch
    {
        ListenerKind.Http => "Web (HTTP)",
        ListenerKind.Https => "Web (HTTPS)",
        ListenerKind.Smtp => "SMTP (STARTTLS)",
        ListenerKind.Submission => "Submission (STARTTLS)",
        ListenerKind.Smtps => "Submission (implicit TLS)",
        ListenerKind.Imap => "IMAP (STARTTLS)",
        ListenerKind.Imaps => "IMAP (implicit TLS)",
        ListenerKind.Pop3 => "POP3 (STLS)",
        ListenerKind.Pop3s => "POP3 (implicit TLS)",
        _ => kind.ToString(),
    };

    private static string Format(ListenerKind kind, IPEndPoint endPoint) => kind switch
    {
        ListenerKind.Http => $"http://{endPoint}/",
        ListenerKind.Https => $"https://{endPoint}/",
        _ => endPoint.ToString(),
    };

    /// <summary>
    /// "mail.example.org" serves mail for "example.org"; a two-label name is the domain itself; a
    /// one-label name (localhost) cannot be a mail domain, so the hint shows a placeholder.
    /// </summary>
    internal static string MailDomainOf(string hostname)
    {
        string[] labels = hostname.TrimEnd('.').Split('.');
        return labels.Length switch
        {
            > 2 => string.Join('.', labels[1..]),
            2 => hostname,
            _ => "example.com",
        };
    }
}
