using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;

namespace Appliance.Storage.Mail;

/// <summary>
/// The message store of all accounts under one root directory, and the process-wide registry of
/// open accounts: one <see cref="MailAccount"/> per store id, so every IMAP session, SMTP delivery
/// and webmail circuit shares its lock and its change notifications. Create one per process
/// (a singleton). Account directories are "{root}/{storeId:N}"; no path contains user text.
/// </summary>
public sealed class MessageStore : IDisposable
{
    private const string StagingPrefix = ".creating-";
    private const string DeletedPrefix = ".deleted-";

    // SQLite result codes SQLITE_CORRUPT and SQLITE_NOTADB.
    private const int SqliteCorrupt = 11;
    private const int SqliteNotADatabase = 26;

    private readonly ConcurrentDictionary<Guid, MailAccount> _accounts = new();

    // Serialises account lifecycle (create, open, delete, reindex); opening reconciles the
    // Maildir, which is rare enough (once per account per process) to run under it.
    private readonly Lock _lifecycle = new();
    private bool _disposed;

    public MessageStore(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        Root = Path.GetFullPath(root);
        Directory.CreateDirectory(Root);
        RemoveLeftovers();
    }

    public string Root { get; }

    public bool AccountExists(Guid storeId) => Directory.Exists(AccountDirectory(storeId));

    /// <summary>Creates an account with INBOX and the SPECIAL-USE mailboxes Drafts, Sent, Trash, Junk and Archive (RFC 6154).</summary>
    public MailAccount CreateAccount(Guid storeId)
    {
        lock (_lifecycle)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var directory = AccountDirectory(storeId);
            if (Directory.Exists(directory))
            {
                throw new AccountExistsException(storeId);
            }

            // Build the account beside its final place and rename it in, so a crash never leaves
            // a half-made account under the real name.
            var staging = Path.Combine(Root, StagingPrefix + storeId.ToString("N") + "-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(staging);
            var builder = new MailAccount(storeId, staging);
            try
            {
                builder.InitializeNew();
            }
            finally
            {
                builder.Dispose();
            }

            Directory.Move(staging, directory);
            DirectorySync.Fsync(Root);
            var account = new MailAccount(storeId, directory);
            account.Initialize();
            _accounts[storeId] = account;
            return account;
        }
    }

    /// <summary>
    /// Returns the shared account object, opening it on first use in this process: the index is
    /// reconciled with the Maildir, a missing index is rebuilt from it, and so is a corrupt one.
    /// </summary>
    public MailAccount OpenAccount(Guid storeId)
    {
        if (_accounts.TryGetValue(storeId, out var open))
        {
            return open;
        }

        lock (_lifecycle)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_accounts.TryGetValue(storeId, out open))
            {
                return open;
            }

            var directory = AccountDirectory(storeId);
            if (!Directory.Exists(directory))
            {
                throw new AccountNotFoundException(storeId);
            }

            var account = new MailAccount(storeId, directory);
            try
            {
                account.Initialize();
            }
            catch (SqliteException e) when (e.SqliteErrorCode is SqliteCorrupt or SqliteNotADatabase)
            {
                // The Maildir and folder.json hold everything needed: rebuild rather than refuse
                // to open the mailbox (the corrupt file is kept aside for inspection).
                account.Reindex();
            }

            _accounts[storeId] = account;
            return account;
        }
    }

    /// <summary>Deletes the account and all its mail. Subscribers see their readers complete.</summary>
    public void DeleteAccount(Guid storeId)
    {
        string doomed;
        lock (_lifecycle)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var directory = AccountDirectory(storeId);
            if (!Directory.Exists(directory))
            {
                throw new AccountNotFoundException(storeId);
            }

            if (_accounts.TryRemove(storeId, out var account))
            {
                account.Dispose();
            }

            doomed = Path.Combine(Root, DeletedPrefix + storeId.ToString("N") + "-" + Guid.NewGuid().ToString("N"));
            Directory.Move(directory, doomed);
            DirectorySync.Fsync(Root);
        }

        Directory.Delete(doomed, recursive: true);
    }

    /// <summary>
    /// Rebuilds the account's index from its Maildir (the CLI's reindex); safe while another
    /// process uses the account, since the rebuild runs in one BEGIN IMMEDIATE transaction.
    /// </summary>
    public ReindexResult Reindex(Guid storeId)
    {
        lock (_lifecycle)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var directory = AccountDirectory(storeId);
            if (!Directory.Exists(directory))
            {
                throw new AccountNotFoundException(storeId);
            }

            if (_accounts.TryGetValue(storeId, out var open))
            {
                return open.Reindex();
            }

            var account = new MailAccount(storeId, directory);
            var result = account.Reindex();
            _accounts[storeId] = account;
            return result;
        }
    }

    public void Dispose()
    {
        lock (_lifecycle)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            foreach (var account in _accounts.Values)
            {
                account.Dispose();
            }

            _accounts.Clear();
        }
    }

    /// <summary>
    /// Removes what interrupted deletes and creations left behind. A staging directory is only
    /// removed once old, since another process (the CLI) may be creating an account right now.
    /// </summary>
    private void RemoveLeftovers()
    {
        var staleBefore = DateTime.UtcNow - TimeSpan.FromDays(1);
        foreach (var directory in Directory.EnumerateDirectories(Root, ".*"))
        {
            var name = Path.GetFileName(directory);
            var doomed = name.StartsWith(DeletedPrefix, StringComparison.Ordinal)
                || (name.StartsWith(StagingPrefix, StringComparison.Ordinal) && Directory.GetLastWriteTimeUtc(directory) < staleBefore);
            if (doomed)
            {
                try
                {
                    Directory.Delete(directory, recursive: true);
                }
                catch (IOException)
                {
                    // Another process may be deleting it too; the next start tries again.
                }
            }
        }
    }

    internal string AccountDirectory(Guid storeId) => Path.Combine(Root, storeId.ToString("N"));
}
