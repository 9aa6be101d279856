// RFC 5322 3.4 (address specification).
namespace Appliance.Mime;

/// <summary>
/// One mailbox from an address header (RFC 5322 3.4). Groups are flattened into their members, each
/// remembering the group's name in <see cref="Group"/>; an empty group ("undisclosed-recipients:;")
/// yields no mailbox.
/// </summary>
/// <param name="DisplayName">The decoded display name (RFC 2047 words decoded), or null when absent.</param>
/// <param name="LocalPart">The local part, unquoted; may be empty for a name without an address.</param>
/// <param name="Domain">The domain as written (a domain literal keeps its brackets); empty when absent.</param>
public sealed record MailboxAddress(string? DisplayName, string LocalPart, string Domain)
{
    /// <summary>The name of the group this mailbox was listed in, or null.</summary>
    public string? Group { get; init; }

    /// <summary>The addr-spec: local part (quoted when RFC 5322 3.4.1 requires it) "@" domain.</summary>
    public string Address
    {
        get
        {
            if (Domain.Length == 0)
            {
                return LocalPart;
            }
            return (AddressParser.IsDotAtom(LocalPart) ? LocalPart : Quote(LocalPart)) + "@" + Domain;
        }
    }

    /// <summary>The display name when there is one, else the address: what a list view shows.</summary>
    public override string ToString() => string.IsNullOrEmpty(DisplayName) ? Address : DisplayName;

    /// <summary>
    /// Parses an address list (From, To, Cc, Reply-To ...) from a header value, as unfolded by
    /// <see cref="HeaderField.Value"/>. Never throws; unreadable parts are skipped.
    /// </summary>
    public static IReadOnlyList<MailboxAddress> ParseList(string? value) => AddressParser.ParseList(value ?? "");

    private static string Quote(string localPart) =>
        "\"" + localPart.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
