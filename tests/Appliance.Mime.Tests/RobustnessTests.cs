namespace Appliance.Mime.Tests;

/// <summary>
/// Damaged versions of the corpus messages: every truncation and random byte mutations. The summary
/// must come back (never throw) and stay within its documented bounds.
/// </summary>
public sealed class RobustnessTests
{
    [Theory]
    [MemberData(nameof(CorpusTests.Messages), MemberType = typeof(CorpusTests))]
    public void Every_truncation_gives_a_summary(string message)
    {
        byte[] data = File.ReadAllBytes(Path.Combine(CorpusTests.CorpusDirectory(), message));

        for (int length = 0; length <= data.Length; length++)
        {
            AssertWithinBounds(MessageSummary.Read(new MemoryStream(data, 0, length)));
        }
    }

    [Theory]
    [MemberData(nameof(CorpusTests.Messages), MemberType = typeof(CorpusTests))]
    public void Random_mutations_give_a_summary(string message)
    {
        byte[] original = File.ReadAllBytes(Path.Combine(CorpusTests.CorpusDirectory(), message));
        var random = new Random(message.Length);
        byte[] interesting = "\r\n\t :;<>\"()=?@,-_%*'\\"u8.ToArray();

        for (int round = 0; round < 300; round++)
        {
            byte[] data = (byte[])original.Clone();
            for (int change = random.Next(1, 8); change > 0 && data.Length > 0; change--)
            {
                data[random.Next(data.Length)] = random.Next(3) == 0 ? (byte)random.Next(256) : interesting[random.Next(interesting.Length)];
            }
            AssertWithinBounds(MessageSummary.Read(new MemoryStream(data)));
        }
    }

    private static void AssertWithinBounds(MessageSummary summary)
    {
        Assert.NotNull(summary.From);
        Assert.NotNull(summary.To);
        Assert.NotNull(summary.Subject);
        Assert.True(summary.Preview.Length <= MessageSummary.PreviewLength);
        Assert.DoesNotContain('\n', summary.Subject);
        Assert.DoesNotContain('\n', summary.Preview);
    }
}
