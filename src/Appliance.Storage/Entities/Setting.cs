namespace Appliance.Storage.Entities;

/// <summary>A named server setting changed at run time (from the admin UI), as text.</summary>
public sealed class Setting
{
    public required string Key { get; set; }
    public required string Value { get; set; }
    public DateTime UpdatedUtc { get; set; }
}
