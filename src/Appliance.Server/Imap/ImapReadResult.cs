// RFC 9051 section 7.1 (status responses BAD and NO, response code TOOBIG); RFC 7888 section 4
// (LITERAL-: a non-synchronizing literal over 4096 octets gets a tagged BAD).
using System.Buffers;

namespace Appliance.Server.Imap;

internal enum ImapReadStatus
{
    /// <summary>A whole command is in <see cref="ImapReadResult.Command"/>; advance to Consumed and call Read again (the buffer may hold the next one).</summary>
    Command,
    /// <summary>Read more from the connection. Nothing of a command is consumed (only skipped garbage).</summary>
    NeedMore,
    /// <summary>
    /// A synchronizing literal {n} waits for "+ " (RFC 9051 section 4.3, 7.5): send a continuation
    /// request and call Read again. Asked once per literal; nothing is consumed.
    /// </summary>
    NeedContinuation,
    /// <summary>
    /// A literal too large to keep in memory starts (APPEND's message): <see cref="ImapReadResult.Command"/>
    /// holds the command so far, <see cref="ImapReadResult.LiteralSize"/> its size. The command's text up to
    /// here is consumed; its octets follow as <see cref="LiteralData"/>, and the complete command after them.
    /// </summary>
    LiteralStart,
    /// <summary>Octets of the streamed literal in <see cref="ImapReadResult.Data"/>, valid until AdvanceTo; <see cref="ImapReadResult.IsLastChunk"/> on the last.</summary>
    LiteralData,
    /// <summary>The command is refused: answer it (see <see cref="ImapReadResult.Error"/>) and call Read again; its rest is skipped by the reader.</summary>
    Error,
}

/// <summary>Why a command could not be read; <see cref="ImapReadErrors.Reply"/> maps each to its answer in one place.</summary>
internal enum ImapReadError
{
    None,
    /// <summary>Not RFC 9051 section 9 syntax: BAD.</summary>
    Syntax,
    /// <summary>A line over the limit: BAD; the reader skips to its end without buffering it.</summary>
    LineTooLong,
    /// <summary>
    /// A literal over the size limit: NO [TOOBIG] (RFC 9051 section 7.1). For {n} this comes instead of
    /// the continuation, so the client never sends the octets; for {n+} the octets are skipped.
    /// </summary>
    LiteralTooLarge,
    /// <summary>RFC 7888 section 4 (LITERAL-): a {n+} over 4096 octets gets BAD; the octets are skipped.</summary>
    NonSyncLiteralTooLarge,
    /// <summary>Lists nested deeper than the limit: BAD.</summary>
    TooDeep,
    /// <summary>More arguments than the limit: BAD.</summary>
    TooManyArguments,
}

internal enum ImapStatus
{
    Ok,
    No,
    Bad,
    Bye,
    Preauth,
}

internal static class ImapReadErrors
{
    /// <summary>The status and response code that answer a read error (RFC 9051 section 7.1: BAD for syntax, NO [TOOBIG] for size).</summary>
    public static (ImapStatus Status, string? Code) Reply(ImapReadError error) => error switch
    {
        ImapReadError.LiteralTooLarge => (ImapStatus.No, "TOOBIG"),
        ImapReadError.None => throw new ArgumentOutOfRangeException(nameof(error)),
        _ => (ImapStatus.Bad, null),
    };
}

internal readonly struct ImapReadResult
{
    private ImapReadResult(ImapReadStatus status, SequencePosition consumed, SequencePosition examined, ImapCommand? command, long literalSize, string? tag, ImapReadError error, string? reason, ReadOnlySequence<byte> data = default, bool last = false, ImapStringForm form = ImapStringForm.None)
    {
        Data = data;
        IsLastChunk = last;
        LiteralForm = form;
        Status = status;
        Consumed = consumed;
        Examined = examined;
        Command = command;
        LiteralSize = literalSize;
        Tag = tag;
        Error = error;
        Reason = reason;
    }

    public ImapReadStatus Status { get; }

    /// <summary>For <see cref="ImapReadStatus.LiteralData"/>: the octets (a slice of the buffer passed in).</summary>
    public ReadOnlySequence<byte> Data { get; }

    /// <summary>For <see cref="ImapReadStatus.LiteralData"/>: the literal's last octets.</summary>
    public bool IsLastChunk { get; }

    /// <summary>For <see cref="ImapReadStatus.LiteralStart"/>: literal or literal8 (may hold NUL; RFC 3516).</summary>
    public ImapStringForm LiteralForm { get; }

    /// <summary>Advance the PipeReader to here (the session's one AdvanceTo).</summary>
    public SequencePosition Consumed { get; }

    /// <summary>And mark this much examined.</summary>
    public SequencePosition Examined { get; }

    public ImapCommand? Command { get; }

    /// <summary>
    /// For <see cref="ImapReadStatus.NeedContinuation"/> and <see cref="ImapReadStatus.LiteralStart"/> the literal's size;
    /// for <see cref="ImapReadStatus.LiteralData"/> the chunk's; for literal errors the size asked for.
    /// </summary>
    public long LiteralSize { get; }

    /// <summary>For errors: the command's tag when one could be read (answer "tag BAD ..."), else null (answer "* BAD ...").</summary>
    public string? Tag { get; }

    public ImapReadError Error { get; }

    /// <summary>Human-readable text for the BAD/NO response.</summary>
    public string? Reason { get; }

    public static ImapReadResult Complete(ImapCommand command, SequencePosition consumed) =>
        new(ImapReadStatus.Command, consumed, consumed, command, 0, command.Tag, ImapReadError.None, null);

    public static ImapReadResult LiteralStart(ImapCommand soFar, long size, ImapStringForm form, SequencePosition consumed) =>
        new(ImapReadStatus.LiteralStart, consumed, consumed, soFar, size, soFar.Tag, ImapReadError.None, null, form: form);

    public static ImapReadResult LiteralChunk(ReadOnlySequence<byte> data, bool last) =>
        new(ImapReadStatus.LiteralData, data.End, data.End, null, data.Length, null, ImapReadError.None, null, data, last);

    public static ImapReadResult NeedMore(SequencePosition consumed, SequencePosition examined) =>
        new(ImapReadStatus.NeedMore, consumed, examined, null, 0, null, ImapReadError.None, null);

    public static ImapReadResult Continuation(long size, SequencePosition start, SequencePosition examined) =>
        new(ImapReadStatus.NeedContinuation, start, examined, null, size, null, ImapReadError.None, null);

    public static ImapReadResult Failed(ImapReadError error, string? tag, string reason, long literalSize, SequencePosition consumed, SequencePosition examined) =>
        new(ImapReadStatus.Error, consumed, examined, null, literalSize, tag, error, reason);

    public override string ToString() => Status switch
    {
        ImapReadStatus.Command => $"Command {Command}",
        ImapReadStatus.NeedContinuation => $"Continuation {LiteralSize}",
        ImapReadStatus.LiteralStart => $"LiteralStart {LiteralSize} after {Command}",
        ImapReadStatus.LiteralData => $"LiteralData {LiteralSize}{(IsLastChunk ? " last" : "")}",
        ImapReadStatus.Error => $"Error {Error} tag={Tag ?? "*"} ({Reason})",
        _ => Status.ToString(),
    };
}
