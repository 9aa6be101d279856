// RFC 9051 (IMAP4rev2): section 3 (states), 5.4 (autologout timer), 7.1.1 (greeting with OK and a
// CAPABILITY response code), 7.1.5 (BYE), 7.5 (continuation requests for literals); section 6.1-6.3
// commands dispatched by state (ImapCommandTable). RFC 3501 for rev1 clients. RFC 7888 (LITERAL+ /
// LITERAL-): the reader's limits change at login. RFC 9051 6.3.12 (APPEND): a large message literal
// is streamed to the store (ImapAppendUpload). RFC 2177 / RFC 9051 6.3.13 (IDLE): the session waits
// for the client's DONE and for mailbox changes at once. Per-user connection limit at login
// (ImapServerOptions.MaxConnectionsPerUser, RFC 5530 LIMIT).
using System.Buffers;
using System.IO.Pipelines;
using Appliance.Server.Accounts;
using Appliance.Server.Imap.Commands;
using Appliance.Server.Listeners;
using Appliance.Storage.Mail;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Appliance.Server.Imap;

/// <summary>
/// One IMAP connection: reads commands with one <see cref="ImapCommandReader"/>, advancing the
/// connection's input in one place; checks each against the state table; runs it (Commands/, one
/// file per command); writes responses, flushed before each wait for input.
/// </summary>
internal sealed partial class ImapSession
{
    private readonly MailConnection _connection;
    private readonly ImapEngine _engine;
    private readonly ImapCommandReader _reader = new();
    private bool _mustWait = true;
    private bool _closing;
    private int _errors;
    private ImapAppendUpload? _upload; // the streamed message literal of the APPEND being read
    private ImapUserConnections.Lease _userLease; // this session's slot in the per-user count, once logged in

    public ImapSession(MailConnection connection, ImapEngine engine)
    {
        _connection = connection;
        _engine = engine;
    }

    public MailConnection Connection => _connection;
    public ImapEngine Engine => _engine;
    public ImapServerOptions Options => _engine.Options;
    public ILogger Logger => _engine.Logger;
    public ImapState State { get; private set; } = ImapState.NotAuthenticated;
    public AuthenticatedUser? User { get; private set; }

    /// <summary>The logged-in user's store account (shared by all sessions of the user in this process).</summary>
    public MailAccount? Account { get; private set; }

    /// <summary>Extensions turned on by ENABLE (RFC 5161), by their capability name as advertised.</summary>
    public HashSet<string> Enabled { get; } = new(StringComparer.OrdinalIgnoreCase);

    public int FailedLogins { get; set; }

    /// <summary>A mailbox was selected at some point: ENABLE is no longer allowed (RFC 5161 section 3.1).</summary>
    public bool HasSelected { get; private set; }

    /// <summary>The selected mailbox (RFC 9051 section 3.3), or null outside the selected state.</summary>
    public SelectedMailbox? Selected { get; private set; }

    /// <summary>
    /// RFC 7162 section 3.1: CONDSTORE is on once ENABLE CONDSTORE or QRESYNC, SELECT (CONDSTORE),
    /// or any command with a MODSEQ argument or item was used; from then on FETCH responses carry MODSEQ.
    /// </summary>
    public bool CondStoreEnabled
    {
        get => field || QResyncEnabled || Enabled.Contains("CONDSTORE");
        set;
    }

    /// <summary>RFC 7162 section 3.2.3: ENABLE QRESYNC; expunges are then reported as VANISHED.</summary>
    public bool QResyncEnabled => Enabled.Contains("QRESYNC");

    /// <summary>Whether the command running now may be told of expunges (RFC 9051 section 7.4.1).</summary>
    private bool _expungesAllowed = true;

    /// <summary>8-bit UTF-8 may be sent in quoted strings: IMAP4rev2 (RFC 9051 section 4.3) or UTF8=ACCEPT (RFC 6855 section 3) enabled.</summary>
    public bool Utf8Enabled => Enabled.Contains(CapabilityCommand.Imap4Rev2) || Enabled.Contains(CapabilityCommand.Utf8Accept);

    /// <summary>No password is accepted in cleartext (RFC 9051 section 6.2.3 LOGINDISABLED; RFC 8314).</summary>
    public bool LoginAllowed => _connection.IsSecure;

    /// <summary>A writer on the current output (it changes at STARTTLS, so one per response).</summary>
    public ImapResponseWriter Respond() => new(_connection.Output) { Utf8Quoted = Utf8Enabled };

    public async Task RunAsync()
    {
        try
        {
            // RFC 9051 7.1.1: the greeting, with the capabilities so that clients need not ask.
            Respond().Status(null, ImapStatus.Ok, "CAPABILITY " + CapabilityCommand.List(this), "Appliance IMAP server ready");
            while (!_closing)
            {
                if (await NextInputAsync() is not { } input)
                    return;
                var buffer = input.Buffer;
                var result = _reader.Read(buffer, Options.ReadLimits(authenticated: State != ImapState.NotAuthenticated));
                if (result.Status == ImapReadStatus.NeedMore)
                {
                    _connection.Input.AdvanceTo(result.Consumed, result.Examined);
                    _mustWait = true;
                    if (input.IsCompleted || input.IsCanceled)
                        return;
                    continue;
                }
                if (result.Status == ImapReadStatus.LiteralData)
                {
                    // APPEND's message, streamed: the chunk is valid only until the input advances.
                    if (_upload is not null)
                        await _upload.WriteAsync(result.Data);
                    Advance(result.Consumed);
                    continue;
                }
                // Every other result has Examined == Consumed, except NeedContinuation, where nothing is
                // consumed and the reader wants the same buffer again: advance to Consumed only, so the
                // next read returns what is buffered at once.
                Advance(result.Consumed);
                switch (result.Status)
                {
                    case ImapReadStatus.NeedContinuation:
                        // RFC 9051 7.5: the client sends a synchronizing literal's octets only after this.
                        Respond().Continuation("Ready for literal data");
                        break;
                    case ImapReadStatus.LiteralStart:
                        LogLiteralStreamed(Logger, result.Command!.Name, result.LiteralSize);
                        await BeginStreamedLiteralAsync(result.Command!, result.LiteralSize);
                        break;
                    case ImapReadStatus.Error:
                        await AbortUploadAsync();
                        Respond().ReadError(result);
                        if (ImapReadErrors.Reply(result.Error).Status == ImapStatus.Bad)
                            CountError();
                        break;
                    case ImapReadStatus.Command:
                        var upload = _upload;
                        _upload = null;
                        try
                        {
                            await ExecuteAsync(result.Command!, upload);
                        }
                        finally
                        {
                            // Whatever became of the command, the store must not wait for more of its message.
                            if (upload is not null)
                                await upload.AbortAsync();
                        }
                        break;
                }
            }
        }
        catch (Exception e) when (e is IOException or ConnectionResetException or ObjectDisposedException or OperationCanceledException)
        {
            // The client went away, or the server is stopping during a login delay.
        }
        finally
        {
            await AbortUploadAsync();
            _userLease.Dispose();
            Selected?.Dispose();
            try
            {
                await _connection.Output.FlushAsync();
            }
            catch (Exception e) when (e is IOException or ConnectionResetException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
            {
                // Closing on a client that is gone.
            }
        }
    }

    /// <summary>
    /// A top-level literal too large for memory starts. Only APPEND's message may be one: it goes to the
    /// store as it arrives. Any other command's literal is read and dropped, and the command answered
    /// NO [TOOBIG] (RFC 9051 7.1) when it is complete; so is a second one in an APPEND (no MULTIAPPEND).
    /// </summary>
    private async ValueTask BeginStreamedLiteralAsync(ImapCommand soFar, long size)
    {
        var refusal = new ImapRefusal(ImapStatus.No, "TOOBIG", $"Only APPEND's message may exceed {Options.MaxBufferedLiterals} octets");
        if (_upload is not null)
        {
            await _upload.RefuseAsync(new ImapRefusal(ImapStatus.Bad, null, "One message per APPEND (MULTIAPPEND is not supported)"));
            return;
        }
        _upload = ImapCommandTable.Parse(soFar.Name) == ImapVerb.Append && State is ImapState.Authenticated or ImapState.Selected
            ? await AppendCommand.BeginStreamedAsync(this, soFar, size)
            : ImapAppendUpload.Refused(refusal);
    }

    private async ValueTask AbortUploadAsync()
    {
        if (_upload is null)
            return;
        var upload = _upload;
        _upload = null;
        await upload.AbortAsync();
    }

    private async ValueTask ExecuteAsync(ImapCommand command, ImapAppendUpload? upload)
    {
        var verb = ImapCommandTable.Parse(command.Name);
        if (upload is not null && verb != ImapVerb.Append)
        {
            // Its refusal (TOOBIG) was decided when the literal started; the literal is read by now.
            No(command.Tag, upload.Refusal!.Code, upload.Refusal.Text);
            return;
        }
        if (verb == ImapVerb.Unknown)
        {
            Bad(command.Tag, "Unknown command");
            return;
        }
        if (!ImapCommandTable.IsAllowed(State, verb))
        {
            // RFC 9051 section 6: a command outside its state is BAD, with a text saying why.
            Bad(command.Tag, WrongState(verb, command.Name));
            return;
        }
        bool byUid = false;
        if (verb == ImapVerb.Uid)
        {
            // RFC 9051 6.4.9: "UID" SP (copy / move / fetch / search / store / uid-expunge); RFC 5256: SORT, THREAD.
            var sub = command.Arguments.Count > 0 && command.Arguments[0].Kind == ImapArgumentKind.Atom
                ? ImapCommandTable.Parse(command.Arguments[0].Text) : ImapVerb.Unknown;
            if (!ImapCommandTable.IsUidCommand(sub))
            {
                Bad(command.Tag, "Syntax: UID COPY, MOVE, FETCH, SEARCH, STORE, EXPUNGE, SORT or THREAD");
                return;
            }
            verb = sub;
            byUid = true;
            command = new ImapCommand(command.Tag, "UID " + sub.ToString().ToUpperInvariant(), command.Arguments.Skip(1).ToList());
        }
        // RFC 9051 7.4.1: no EXPUNGE during FETCH, STORE or SEARCH by sequence number (nor SORT or
        // THREAD, RFC 5256 section 3, whose results are sequence numbers too); UID forms may see them.
        _expungesAllowed = byUid || verb is not (ImapVerb.Fetch or ImapVerb.Store or ImapVerb.Search or ImapVerb.Sort or ImapVerb.Thread);
        switch (verb)
        {
            case ImapVerb.Capability: CapabilityCommand.Execute(this, command); break;
            case ImapVerb.Noop: NoopCommand.Execute(this, command); break;
            case ImapVerb.Logout: LogoutCommand.Execute(this, command); break;
            case ImapVerb.Id: IdCommand.Execute(this, command); break;
            case ImapVerb.StartTls: await StartTlsCommand.ExecuteAsync(this, command); break;
            case ImapVerb.Login: await LoginCommand.ExecuteAsync(this, command); break;
            case ImapVerb.Authenticate: await AuthenticateCommand.ExecuteAsync(this, command); break;
            case ImapVerb.Enable: EnableCommand.Execute(this, command); break;
            case ImapVerb.Namespace: NamespaceCommand.Execute(this, command); break;
            case ImapVerb.List: ListCommand.Execute(this, command); break;
            case ImapVerb.Lsub: LsubCommand.Execute(this, command); break;
            case ImapVerb.Create: CreateCommand.Execute(this, command); break;
            case ImapVerb.Delete: DeleteCommand.Execute(this, command); break;
            case ImapVerb.Rename: RenameCommand.Execute(this, command); break;
            case ImapVerb.Subscribe: SubscribeCommand.Execute(this, command); break;
            case ImapVerb.Unsubscribe: UnsubscribeCommand.Execute(this, command); break;
            case ImapVerb.Status: StatusCommand.Execute(this, command); break;
            case ImapVerb.Select: SelectCommand.Execute(this, command, readOnly: false); break;
            case ImapVerb.Examine: SelectCommand.Execute(this, command, readOnly: true); break;
            case ImapVerb.Close: CloseCommand.Execute(this, command); break;
            case ImapVerb.Unselect: UnselectCommand.Execute(this, command); break;
            case ImapVerb.Check: CheckCommand.Execute(this, command); break;
            case ImapVerb.Fetch: await FetchCommand.ExecuteAsync(this, command, byUid); break;
            case ImapVerb.Search: SearchCommand.Execute(this, command, byUid); break;
            case ImapVerb.Sort: SortCommand.Execute(this, command, byUid); break;
            case ImapVerb.Thread: ThreadCommand.Execute(this, command, byUid); break;
            case ImapVerb.Store: StoreCommand.Execute(this, command, byUid); break;
            case ImapVerb.Copy: await CopyCommand.ExecuteAsync(this, command, byUid); break;
            case ImapVerb.Move: MoveCommand.Execute(this, command, byUid); break;
            case ImapVerb.Expunge: ExpungeCommand.Execute(this, command, byUid); break;
            case ImapVerb.Append: await AppendCommand.ExecuteAsync(this, command, upload); break;
            case ImapVerb.Idle: await IdleCommand.ExecuteAsync(this, command); break;
            case ImapVerb.GetQuota: await QuotaCommands.GetQuotaAsync(this, command); break;
            case ImapVerb.GetQuotaRoot: await QuotaCommands.GetQuotaRootAsync(this, command); break;
            case ImapVerb.SetQuota: QuotaCommands.SetQuota(this, command); break;
            default:
                // The table allows it but nothing runs it: a defect, refused rather than a client error.
                No(command.Tag, "CANNOT", $"{command.Name} is not available");
                break;
        }
    }

    private string WrongState(ImapVerb verb, string name) => State switch
    {
        ImapState.NotAuthenticated => $"{name} is not allowed before login",
        _ when ImapCommandTable.IsAllowed(ImapState.NotAuthenticated, verb) => $"{name} is not allowed after login",
        _ => $"{name} needs a selected mailbox; SELECT or EXAMINE one first",
    };

    /// <summary>The tagged OK, after the mailbox changes this moment may report (RFC 9051 section 5.2).</summary>
    public void Ok(string tag, string text, string? code = null)
    {
        ReportChanges();
        Respond().Status(tag, ImapStatus.Ok, code, text);
    }

    /// <summary>The tagged NO, after the mailbox changes this moment may report.</summary>
    public void No(string tag, string? code, string text)
    {
        ReportChanges();
        Respond().Status(tag, ImapStatus.No, code, text);
    }

    /// <summary>
    /// Tells the client what changed in its selected mailbox: every command's completion is such a
    /// moment (expunges only where <see cref="_expungesAllowed"/>), and so is IDLE. A mailbox deleted
    /// under the session ends it: no response can say "you are no longer in a mailbox".
    /// </summary>
    public void ReportChanges(bool? expungesAllowed = null)
    {
        if (State != ImapState.Selected || Selected is null)
            return;
        Selected.Report(this, expungesAllowed ?? _expungesAllowed);
        if (Selected.Deleted)
            Close("The selected mailbox was deleted by another session");
    }

    /// <summary>RFC 9051 6.3.2: SELECT or EXAMINE succeeded; the previous selection, if any, was closed by the caller.</summary>
    public void EnterSelected(SelectedMailbox selected)
    {
        Selected = selected;
        HasSelected = true;
        State = ImapState.Selected;
    }

    /// <summary>Leaves the selected state (CLOSE, UNSELECT, a failed SELECT, RFC 9051 6.3.2), dropping the view.</summary>
    public void LeaveSelected()
    {
        Selected?.Dispose();
        Selected = null;
        if (State == ImapState.Selected)
            State = ImapState.Authenticated;
    }

    /// <summary>
    /// The store failed on its own (disk full, I/O error): "tag NO [SERVERBUG]", logged. Caught in the
    /// commands, since an IOException reaching <see cref="RunAsync"/> would be taken for the client leaving.
    /// </summary>
    public void StoreFailed(string tag, IOException e)
    {
        LogStoreFailed(Logger, e, User?.Address ?? "");
        No(tag, "SERVERBUG", "The mail store failed; try again later");
    }

    /// <summary>"tag BAD text", counted toward <see cref="ImapServerOptions.MaxErrors"/>.</summary>
    public void Bad(string tag, string text, bool countsAsError = true)
    {
        Respond().Status(tag, ImapStatus.Bad, null, text);
        if (countsAsError)
            CountError();
    }

    private void CountError()
    {
        if (++_errors >= Options.MaxErrors && !_closing)
        {
            LogTooManyErrors(Logger, _errors);
            Close("Too many errors");
        }
    }

    /// <summary>RFC 9051 7.1.5: "* BYE text", then the connection is closed.</summary>
    public void Close(string text)
    {
        Respond().Status(null, ImapStatus.Bye, null, text);
        State = ImapState.Logout;
        _closing = true;
    }

    /// <summary>The session ends without another word (a failed STARTTLS handshake).</summary>
    public void EndSession()
    {
        State = ImapState.Logout;
        _closing = true;
    }

    /// <summary>
    /// RFC 9051 3.2: LOGIN or AUTHENTICATE succeeded. False (after "tag NO [LIMIT]" and BYE) when the
    /// user has <see cref="ImapServerOptions.MaxConnectionsPerUser"/> sessions already.
    /// </summary>
    public bool EnterAuthenticated(AuthenticatedUser user, MailAccount account, string tag)
    {
        if (!_engine.UserConnections.TryAcquire(user.StoreId, Options.MaxConnectionsPerUser, out _userLease))
        {
            LogTooManyUserConnections(Logger, user.Address, Options.MaxConnectionsPerUser);
            No(tag, "LIMIT", $"Too many connections for this user (at most {Options.MaxConnectionsPerUser}); close another mail client first");
            Close("Too many connections for this user");
            return false;
        }
        User = user;
        Account = account;
        State = ImapState.Authenticated;
        return true;
    }

    public ValueTask<FlushResult> FlushAsync() => _connection.Output.FlushAsync();

    /// <summary>After STARTTLS the input is a new pipe over TLS: wait for it.</summary>
    public void ResetAfterTls() => _mustWait = true;

    private void Advance(SequencePosition consumed)
    {
        _connection.Input.AdvanceTo(consumed);
        _mustWait = false;
    }

    /// <summary>
    /// What is buffered past the last result, or (after flushing responses) a fresh read with the
    /// state's autologout timer (RFC 9051 5.4: shorter before login). Null when the session ends
    /// (the goodbye for a timeout or shutdown was said, or the client closed).
    /// </summary>
    private async ValueTask<ReadResult?> NextInputAsync()
    {
        if (!_mustWait && _connection.Input.TryRead(out var buffered))
        {
            if (buffered.Buffer.IsEmpty && (buffered.IsCompleted || buffered.IsCanceled))
            {
                _connection.Input.AdvanceTo(buffered.Buffer.End);
                return null;
            }
            return buffered;
        }
        await _connection.Output.FlushAsync();
        TimeSpan? timeout = State == ImapState.NotAuthenticated && Options.AutologoutBeforeLogin < _connection.IdleTimeout
            ? Options.AutologoutBeforeLogin
            : null;
        var timed = await _connection.ReadAsync(timeout);
        if (timed.IsInterrupted)
        {
            State = ImapState.Logout;
            await _connection.SayGoodbyeAsync(timed.Interruption);
            return null;
        }
        if (timed.Result.Buffer.IsEmpty && (timed.Result.IsCompleted || timed.Result.IsCanceled))
        {
            _connection.Input.AdvanceTo(timed.Result.Buffer.End);
            return null;
        }
        return timed.Result;
    }

    /// <summary>
    /// One line inside a command: an AUTHENTICATE response (RFC 9051 6.2.2: base64 or "*", CRLF),
    /// read as a plain line, not as a command. Null when the session ended, or when the line was
    /// too long (answered "tag BAD").
    /// </summary>
    public async Task<string?> ReadContinuationLineAsync(string tag)
    {
        while (true)
        {
            if (await NextInputAsync() is not { } read)
            {
                _closing = true;
                return null;
            }
            var buffer = read.Buffer;
            var status = CommandLineReader.TryRead(buffer, Options.MaxCommandLineLength, out var line, out var next);
            if (status == LineStatus.Complete)
            {
                string text = System.Text.Encoding.Latin1.GetString(line.ToArray());
                Advance(next);
                return text;
            }
            if (status == LineStatus.TooLong)
            {
                if (await SkipLineAsync(buffer))
                    Bad(tag, "Response line too long");
                return null;
            }
            _connection.Input.AdvanceTo(buffer.Start, buffer.End);
            _mustWait = true;
            if (read.IsCompleted || read.IsCanceled)
            {
                _closing = true;
                return null;
            }
        }
    }

    /// <summary>
    /// IDLE (RFC 2177 section 3, RFC 9051 6.3.13): waits for the client's next line (DONE) while writing
    /// the selected mailbox's changes the moment they happen: the read and the store's change signal are
    /// awaited together, nothing polls. EXISTS, FETCH and EXPUNGE are all allowed meanwhile (RFC 9051
    /// 7.4.1). The autologout timer (RFC 9051 5.4) starts with the wait and is not renewed by what the
    /// server writes, so an idling client must send something within it: RFC 2177 section 3 tells clients
    /// to re-issue IDLE at least every 29 minutes. Dovecot, too, counts only client input as activity.
    /// Returns the line without its CRLF ("" for an overlong one, skipped), or null when the session ended.
    /// </summary>
    public async Task<string?> ReadLineReportingChangesAsync()
    {
        using var stop = new CancellationTokenSource();
        Task<TimedReadResult>? read = null;
        try
        {
            while (true)
            {
                ReadResult input;
                if (read is null && !_mustWait && _connection.Input.TryRead(out var buffered))
                    input = buffered;
                else
                {
                    ReportChanges(expungesAllowed: true);
                    if (_closing)
                        return null;
                    await _connection.Output.FlushAsync();
                    read ??= _connection.ReadAsync(null, stop.Token).AsTask();
                    var woken = await WaitInIdleAsync(read, State == ImapState.Selected ? Selected : null);
                    if (woken == IdleWake.Keepalive)
                        Respond().Status(null, ImapStatus.Ok, null, "Still here");
                    if (woken != IdleWake.Input)
                        continue; // report what changed (or flush the keepalive) and wait on for the same read
                    var timed = await read;
                    read = null;
                    if (timed.IsInterrupted)
                    {
                        State = ImapState.Logout;
                        _closing = true;
                        await _connection.SayGoodbyeAsync(timed.Interruption);
                        return null;
                    }
                    input = timed.Result;
                }
                var buffer = input.Buffer;
                var status = CommandLineReader.TryRead(buffer, Options.MaxCommandLineLength, out var line, out var next);
                if (status == LineStatus.Complete)
                {
                    string text = System.Text.Encoding.Latin1.GetString(line.ToArray());
                    Advance(next);
                    return text;
                }
                if (status == LineStatus.TooLong)
                    return await SkipLineAsync(buffer) ? "" : null;
                _connection.Input.AdvanceTo(buffer.Start, buffer.End);
                _mustWait = true;
                if (input.IsCompleted || input.IsCanceled)
                {
                    _closing = true;
                    return null;
                }
            }
        }
        finally
        {
            if (read is not null)
            {
                // The session ends during the wait (its mailbox was deleted): stop the read.
                await stop.CancelAsync();
                try
                {
                    await read;
                }
                catch (OperationCanceledException)
                {
                }
            }
        }
    }

    private enum IdleWake
    {
        Input,
        Change,
        Keepalive,
    }

    /// <summary>
    /// Waits for the first of: <paramref name="read"/>, a change of the account (when a mailbox is
    /// selected), the keepalive interval (<see cref="ImapServerOptions.IdleKeepaliveInterval"/>). The
    /// other waits are cancelled; the read goes on.
    /// </summary>
    private async Task<IdleWake> WaitInIdleAsync(Task<TimedReadResult> read, SelectedMailbox? selected)
    {
        using var others = new CancellationTokenSource();
        var waits = new List<Task> { read };
        Task? change = null, keepalive = null;
        if (selected is not null)
            waits.Add(change = selected.WaitForChangeAsync(others.Token).AsTask());
        var interval = Options.IdleKeepaliveInterval;
        if (interval > TimeSpan.Zero)
            waits.Add(keepalive = Task.Delay(interval < TimeSpan.FromDays(1) ? interval : TimeSpan.FromDays(1), _engine.Time, others.Token));
        var first = await Task.WhenAny(waits);
        await others.CancelAsync();
        foreach (var wait in waits.Skip(1))
        {
            try
            {
                await wait;
            }
            catch (OperationCanceledException)
            {
            }
        }
        return first == read ? IdleWake.Input : first == change ? IdleWake.Change : IdleWake.Keepalive;
    }

    /// <summary>Discards an overlong line up to its LF without buffering it; false when the session ended first.</summary>
    private async Task<bool> SkipLineAsync(ReadOnlySequence<byte> buffer)
    {
        while (true)
        {
            if (CommandLineReader.TrySkipLine(buffer, out var next))
            {
                Advance(next);
                return true;
            }
            _connection.Input.AdvanceTo(buffer.End);
            _mustWait = true;
            if (await NextInputAsync() is not { } read)
            {
                _closing = true;
                return false;
            }
            buffer = read.Buffer;
        }
    }

    [LoggerMessage(EventId = 5300, Level = LogLevel.Information, Message = "IMAP session reached {Errors} errors; disconnected")]
    private static partial void LogTooManyErrors(ILogger logger, int errors);

    [LoggerMessage(EventId = 5301, Level = LogLevel.Debug, Message = "IMAP {Command} streams a literal of {Size} octets")]
    private static partial void LogLiteralStreamed(ILogger logger, string command, long size);

    [LoggerMessage(EventId = 5360, Level = LogLevel.Warning, Message = "IMAP login of {User} refused: {Limit} sessions of this user are open")]
    private static partial void LogTooManyUserConnections(ILogger logger, string user, int limit);

    [LoggerMessage(EventId = 5361, Level = LogLevel.Error, Message = "IMAP command of {User} failed in the mail store")]
    private static partial void LogStoreFailed(ILogger logger, Exception exception, string user);
}
