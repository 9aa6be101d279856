using System.Text;
using Appliance.Server.Accounts;
using Appliance.Storage.Mail;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests.Listeners;

/// <summary>
/// Seeded random input for the protocol fuzz tests (Imap/ImapFuzzTests, Pop3/Pop3FuzzTests): the
/// same seed gives the same session, so a failure names the seed that reproduces it.
/// </summary>
internal sealed class FuzzInput(int seed)
{
    private readonly Random _random = new(seed);

    public int Seed => seed;

    /// <summary>0 to <paramref name="max"/> - 1.</summary>
    public int Next(int max) => _random.Next(max);

    public int Next(int min, int max) => _random.Next(min, max);

    public bool Chance(double probability) => _random.NextDouble() < probability;

    public T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];

    /// <summary>A word in random letter case: commands and keywords are case-insensitive.</summary>
    public string RandomCase(string word)
    {
        if (Chance(0.6))
            return word;
        var chars = word.ToCharArray();
        for (int i = 0; i < chars.Length; i++)
            chars[i] = Chance(0.5) ? char.ToLowerInvariant(chars[i]) : char.ToUpperInvariant(chars[i]);
        return new string(chars);
    }

    /// <summary>
    /// Printable ASCII without space, CR, LF and braces: braces only ever come from literal
    /// headers the generator means, so that no line ends in "{n}" by accident.
    /// </summary>
    public byte[] Atom(int maxLength)
    {
        var atom = new byte[Next(1, maxLength + 1)];
        for (int i = 0; i < atom.Length; i++)
        {
            byte b;
            do
                b = (byte)Next(0x21, 0x7F);
            while (b is (byte)'{' or (byte)'}');
            atom[i] = b;
        }
        return atom;
    }

    /// <summary>
    /// Bytes a parser must survive: NUL, controls, DEL, 8-bit (invalid UTF-8 as often as not), but
    /// no CR, LF or braces, so that the line's end stays where the generator put it.
    /// </summary>
    public byte[] Garbage(int maxLength)
    {
        var garbage = new byte[Next(1, maxLength + 1)];
        for (int i = 0; i < garbage.Length; i++)
        {
            byte b;
            do
                b = Next(4) switch
                {
                    0 => 0,
                    1 => (byte)Next(0x01, 0x20),
                    2 => (byte)Next(0x80, 0x100),
                    _ => (byte)Next(0x20, 0x80),
                };
            while (b is (byte)'\r' or (byte)'\n' or (byte)'{' or (byte)'}');
            garbage[i] = b;
        }
        return garbage;
    }

    /// <summary>
    /// A literal's content, which is counted, not parsed: any octets, CR and LF included, and NUL
    /// only when <paramref name="withNul"/> (a literal may not hold NUL, only a literal8 may).
    /// </summary>
    public byte[] Octets(int length, bool withNul)
    {
        var octets = new byte[length];
        _random.NextBytes(octets);
        if (!withNul)
        {
            for (int i = 0; i < octets.Length; i++)
                octets[i] = octets[i] == 0 ? (byte)' ' : octets[i];
        }
        return octets;
    }

    public static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);
}

/// <summary>
/// The fuzz tests measure the process's managed heap, so they run alone: no other test allocates
/// while they measure.
/// </summary>
[CollectionDefinition(nameof(FuzzCollection), DisableParallelization = true)]
public sealed class FuzzCollection;

/// <summary>The managed heap after a forced full collection, so that only live objects count.</summary>
internal static class LiveHeap
{
    /// <summary>
    /// How much a fuzzed server's managed heap may grow: generous against noise (pools and caches
    /// grow a little; about 1 MB was seen). What it catches is retention that grows with the input,
    /// such as every session or every literal and overlong line kept alive (several megabytes over
    /// the fuzz runs), not a leak of a few bytes.
    /// </summary>
    public const long FuzzGrowthBound = 16L * 1024 * 1024;

    /// <summary>
    /// A fuzz target's account: the domain and mailbox made, and INBOX filled with
    /// <paramref name="messages"/> appended in order.
    /// </summary>
    public static async Task SeedMailboxAsync(IServiceProvider services, string address, string password, IEnumerable<string> messages)
    {
        await services.InitializeApplianceAsync();
        var accounts = services.GetRequiredService<AccountService>();
        await accounts.AddDomainAsync(address[(address.IndexOf('@') + 1)..], "test");
        var mailbox = await accounts.AddMailboxAsync(new NewMailbox(address, password), "test");
        var account = services.GetRequiredService<MessageStore>().OpenAccount(mailbox.StoreId);
        foreach (string message in messages)
            await account.AppendAsync("INBOX", new MemoryStream(Encoding.ASCII.GetBytes(message)));
    }

    public static long Measure()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
