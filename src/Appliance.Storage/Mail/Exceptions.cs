namespace Appliance.Storage.Mail;

/// <summary>
/// Base of every error the message store reports for a caller's mistake or a missing object, so
/// protocol layers can map them to NO replies in one place; raw I/O errors are our own failures.
/// </summary>
public abstract class MailStoreException : Exception
{
    protected MailStoreException(string message)
        : base(message)
    {
    }
}

public sealed class AccountNotFoundException(Guid storeId)
    : MailStoreException($"Mail account {storeId:N} does not exist.")
{
    public Guid StoreId { get; } = storeId;
}

public sealed class AccountExistsException(Guid storeId)
    : MailStoreException($"Mail account {storeId:N} already exists.")
{
    public Guid StoreId { get; } = storeId;
}

public sealed class MailboxNotFoundException(string mailbox)
    : MailStoreException($"Mailbox \"{mailbox}\" does not exist.")
{
    public string Mailbox { get; } = mailbox;
}

public sealed class MailboxExistsException(string mailbox)
    : MailStoreException($"Mailbox \"{mailbox}\" already exists.")
{
    public string Mailbox { get; } = mailbox;
}

/// <summary>Why a mailbox name was refused.</summary>
public enum MailboxNameError
{
    Empty,
    TooLong,
    ControlCharacter,
    Wildcard,
    LeadingSeparator,
    TrailingSeparator,
    DoubledSeparator,
    DotSegment,
}

public sealed class MailboxNameException(string mailbox, MailboxNameError error, string message)
    : MailStoreException(message)
{
    public string Mailbox { get; } = mailbox;

    public MailboxNameError Error { get; } = error;
}

/// <summary>The operation is valid in form but not allowed on this mailbox (e.g. deleting INBOX).</summary>
public sealed class MailboxOperationRefusedException(string mailbox, string message)
    : MailStoreException(message)
{
    public string Mailbox { get; } = mailbox;
}

public sealed class MessageNotFoundException(string mailbox, uint uid)
    : MailStoreException($"Message UID {uid} does not exist in mailbox \"{mailbox}\".")
{
    public string Mailbox { get; } = mailbox;

    public uint Uid { get; } = uid;
}

public sealed class InvalidKeywordException(string keyword)
    : MailStoreException($"\"{keyword}\" is not a valid IMAP keyword (RFC 9051 section 2.3.2: an atom not starting with a backslash).")
{
    public string Keyword { get; } = keyword;
}

/// <summary>Completes a subscription whose reader fell too far behind; the subscriber must resynchronise.</summary>
public sealed class SubscriptionOverflowException(int capacity)
    : MailStoreException($"More than {capacity} change notifications were pending; the subscriber must resynchronise from the index.");
