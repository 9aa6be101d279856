namespace Appliance.Server.Delivery;

/// <summary>
/// DKIM-signs outgoing mail with the key of its From: domain (RFC 6376). The submission path calls
/// it before the message is queued, so the queue stores the signed bytes.
/// </summary>
public interface IOutboundSigner
{
    /// <summary>
    /// The DKIM-Signature header field to prepend (folded, ending in CRLF), or null when the From:
    /// domain is not one of ours or has no active key. <paramref name="message"/> is the whole
    /// message with CRLF line endings.
    /// </summary>
    Task<string?> SignAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default);
}
