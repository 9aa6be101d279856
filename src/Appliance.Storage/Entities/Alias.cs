namespace Appliance.Storage.Entities;

/// <summary>
/// Forwards an address, or a whole domain ("@example.com", the catch-all), to one or more local
/// or external destinations.
/// </summary>
public sealed class Alias
{
    public int Id { get; set; }

    /// <summary>Normalized "local@domain", or "@domain" for the domain's catch-all; unique.</summary>
    public required string Source { get; set; }

    public int DomainId { get; set; }
    public Domain? Domain { get; set; }

    public bool Enabled { get; set; } = true;

    public DateTime CreatedUtc { get; set; }

    public List<AliasDestination> Destinations { get; set; } = [];

    public bool IsCatchAll => Source.StartsWith('@');
}

public sealed class AliasDestination
{
    public int Id { get; set; }
    public int AliasId { get; set; }

    /// <summary>Normalized address; local (a mailbox or another alias) or external.</summary>
    public required string Address { get; set; }
}
