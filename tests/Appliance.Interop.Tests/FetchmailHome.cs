namespace Appliance.Interop.Tests;

/// <summary>
/// A home directory for one fetchmail run: its rc file (mode 0600, or fetchmail refuses it) and the
/// mbox its MDA appends every retrieved message to.
/// </summary>
internal sealed record FetchmailHome(string Home, string Rc, string Mbox)
{
    /// <param name="poll">The rc file's server part; an "mda" line that appends to <see cref="Mbox"/> is added.</param>
    public static async Task<FetchmailHome> CreateAsync(string directory, string poll)
    {
        Directory.CreateDirectory(directory);
        var home = new FetchmailHome(directory, Path.Combine(directory, ".fetchmailrc"), Path.Combine(directory, "mbox"));
        await File.WriteAllTextAsync(home.Rc, poll + $"  mda \"/bin/sh -c 'cat >> {home.Mbox}'\"\n");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(home.Rc, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return home;
    }
}
