using System.Globalization;

namespace Appliance.Storage.Mail;

/// <summary>Mailbox operations: CREATE, RENAME, DELETE, SUBSCRIBE (RFC 9051 section 6.3).</summary>
public sealed partial class MailAccount
{
    /// <summary>
    /// Creates a mailbox, and its missing superiors as RFC 9051 section 6.3.4 recommends. It gets a
    /// fresh UIDVALIDITY, greater than any this account has used, so a client that cached a deleted
    /// mailbox of the same name cannot mistake the new one for it (RFC 9051 section 2.3.1.1).
    /// </summary>
    public MailboxInfo CreateMailbox(string mailbox, SpecialUse specialUse = SpecialUse.None)
    {
        ThrowIfDisposed();
        var name = MailboxName.Normalize(mailbox);
        return Write((c, tx, changes) =>
        {
            if (FindMailbox(c, tx, name) is not null)
            {
                throw new MailboxExistsException(name);
            }

            foreach (var parent in MailboxName.Parents(name))
            {
                if (FindMailbox(c, tx, parent) is null)
                {
                    changes.Add(CreateMailboxCore(c, tx, parent, SpecialUse.None, subscribed: false));
                }
            }

            var created = CreateMailboxCore(c, tx, name, specialUse, subscribed: false);
            changes.Add(created);
            return FindMailbox(c, tx, name)!.ToInfo(0, 0);
        });
    }

    /// <summary>
    /// Renames a mailbox and its inferiors (RFC 9051 section 6.3.6). Directories are named by id,
    /// so nothing moves on disk; only the index and folder.json change. Renaming INBOX moves its
    /// messages into a new mailbox and leaves INBOX empty, as the RFC specifies.
    /// </summary>
    public void RenameMailbox(string oldName, string newName)
    {
        ThrowIfDisposed();
        var from = MailboxName.Normalize(oldName);
        var to = MailboxName.Normalize(newName);
        Write((c, tx, changes) =>
        {
            var source = RequireMailbox(c, tx, from);
            if (FindMailbox(c, tx, to) is not null)
            {
                throw new MailboxExistsException(to);
            }

            if (MailboxName.IsInferiorOf(to, from))
            {
                throw new MailboxOperationRefusedException(from, $"Mailbox \"{from}\" cannot be renamed to its own inferior \"{to}\".");
            }

            foreach (var parent in MailboxName.Parents(to))
            {
                if (FindMailbox(c, tx, parent) is null)
                {
                    changes.Add(CreateMailboxCore(c, tx, parent, SpecialUse.None, subscribed: false));
                }
            }

            if (MailboxName.IsInbox(from))
            {
                changes.Add(CreateMailboxCore(c, tx, to, SpecialUse.None, subscribed: false));
                var target = RequireMailbox(c, tx, to);
                var uids = ListUids(c, tx, source.Id);
                MoveCore(c, tx, source, uids, target, changes);
                return 0;
            }

            var renamed = AllMailboxes(c, tx)
                .Where(m => m.Name == from || MailboxName.IsInferiorOf(m.Name, from))
                .ToList();
            foreach (var row in renamed)
            {
                var oldRowName = row.Name;
                row.Name = to + row.Name[from.Length..];
                IndexDatabase.Execute(c, tx, "UPDATE mailboxes SET name = $name WHERE id = $id", ("$name", row.Name), ("$id", row.Id));
                WriteMetadata(row);
                changes.Add(new MailboxRenamed(row.Id, row.Name, oldRowName));
            }

            return 0;
        });
    }

    /// <summary>
    /// Deletes a mailbox and its messages (RFC 9051 section 6.3.5). INBOX cannot be deleted, and
    /// neither can a mailbox with inferiors: we do not keep \Noselect placeholders, so the client
    /// deletes the inferiors first (as Dovecot also requires).
    /// </summary>
    public void DeleteMailbox(string mailbox)
    {
        ThrowIfDisposed();
        var name = MailboxName.Normalize(mailbox);
        if (MailboxName.IsInbox(name))
        {
            throw new MailboxOperationRefusedException(name, "INBOX cannot be deleted (RFC 9051 section 6.3.5).");
        }

        string? doomed = null;
        Write((c, tx, changes) =>
        {
            var row = RequireMailbox(c, tx, name);
            if (AllMailboxes(c, tx).Any(m => MailboxName.IsInferiorOf(m.Name, name)))
            {
                throw new MailboxOperationRefusedException(name, $"Mailbox \"{name}\" has inferior mailboxes; delete them first.");
            }

            // Rename the directory out of the way first (atomic), then commit; a crash in between
            // leaves an index row without a directory, which the next open drops: still deleted.
            doomed = Path.Combine(AccountDirectory, DeletedPrefix + row.Id.ToString(CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N"));
            Directory.Move(FolderDirectory(row.Id), doomed);
            DirectorySync.Fsync(AccountDirectory);
            IndexDatabase.Execute(c, tx, "DELETE FROM messages WHERE mailbox_id = $id", ("$id", row.Id));
            IndexDatabase.Execute(c, tx, "DELETE FROM mailboxes WHERE id = $id", ("$id", row.Id));
            changes.Add(new MailboxDeleted(row.Id, row.Name));
            return 0;
        });

        TryDeleteDirectory(doomed!);
    }

    /// <summary>SUBSCRIBE / UNSUBSCRIBE (RFC 9051 sections 6.3.7, 6.3.8).</summary>
    public void SetSubscribed(string mailbox, bool subscribed)
    {
        ThrowIfDisposed();
        var name = MailboxName.Normalize(mailbox);
        Write((c, tx, _) =>
        {
            var row = RequireMailbox(c, tx, name);
            if (row.Subscribed != subscribed)
            {
                row.Subscribed = subscribed;
                IndexDatabase.Execute(c, tx, "UPDATE mailboxes SET subscribed = $s WHERE id = $id", ("$s", subscribed), ("$id", row.Id));
                WriteMetadata(row);
            }

            return 0;
        });
    }
}
