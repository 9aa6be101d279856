namespace Appliance.Storage.Entities;

/// <summary>A mail domain we receive for. Name is the lower-case A-label (IDNA 2008 via IdnMapping).</summary>
public sealed class Domain
{
    public int Id { get; set; }

    /// <summary>Lower-case A-label, e.g. "xn--bcher-kva.example". Shown to people as the U-label.</summary>
    public required string Name { get; set; }

    public bool Enabled { get; set; } = true;

    public DateTime CreatedUtc { get; set; }

    public List<Mailbox> Mailboxes { get; set; } = [];
    public List<Alias> Aliases { get; set; } = [];
    public List<DkimKey> DkimKeys { get; set; } = [];
}
