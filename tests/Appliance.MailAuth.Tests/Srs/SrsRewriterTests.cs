// Sender Rewriting Scheme: SRS0/SRS1 forward rewriting and validated reversal.
using System.Text;
using Appliance.MailAuth.Srs;
using Appliance.MailAuth.Tests.Spf;

namespace Appliance.MailAuth.Tests.Srs;

public sealed class SrsRewriterTests
{
    private static readonly byte[] Key = Encoding.ASCII.GetBytes("0123456789abcdef-test-key");

    // 2023-11-14 (day 19675): 19675 % 1024 = 219 = 6*32 + 27 -> "G3".
    private const long Now = 1700000000;

    private static SrsRewriter Rewriter(long now = Now, byte[]? key = null, IReadOnlyList<byte[]>? previous = null) =>
        new(new SrsOptions { Key = key ?? Key, PreviousKeys = previous ?? [], TimeProvider = new FixedTime(now) });

    [Fact]
    public void Srs0_shape_and_round_trip()
    {
        string rewritten = Rewriter().Forward("alice@example.com", "forwarder.example");
        Assert.Matches("^SRS0=[A-Z2-7]{8}=G3=example.com=alice@forwarder.example$", rewritten);
        Assert.Equal(new SrsReverseResult(SrsReverseStatus.Ok, "alice@example.com"), Rewriter().Reverse(rewritten));
    }

    [Fact]
    public void Same_input_same_output()
    {
        Assert.Equal(Rewriter().Forward("alice@example.com", "f.example"), Rewriter().Forward("alice@example.com", "f.example"));
        Assert.NotEqual(Rewriter().Forward("alice@example.com", "f.example"), Rewriter(key: Encoding.ASCII.GetBytes("another-key-of-16-bytes")).Forward("alice@example.com", "f.example"));
    }

    [Fact]
    public void Local_part_with_equals_sign_survives()
    {
        string rewritten = Rewriter().Forward("a=b=c@example.com", "f.example");
        Assert.Equal("a=b=c@example.com", Rewriter().Reverse(rewritten).Address);
    }

    [Fact]
    public void Case_folding_by_a_relay_still_verifies()
    {
        string rewritten = Rewriter().Forward("Alice@Example.com", "f.example");
        SrsReverseResult result = Rewriter().Reverse(rewritten.ToLowerInvariant());
        Assert.Equal(SrsReverseStatus.Ok, result.Status);
        Assert.Equal("alice@example.com", result.Address);
    }

    [Theory]
    [InlineData("")]
    [InlineData("bob@forwarder.example")]
    [InlineData("BOB@Forwarder.Example")]
    [InlineData("no-at-sign")]
    public void Unchanged_addresses(string sender)
    {
        Assert.Equal(sender, Rewriter().Forward(sender, "forwarder.example"));
    }

    [Fact]
    public void Srs1_from_srs0_and_back()
    {
        string first = Rewriter().Forward("alice@example.com", "first.example");
        string second = Rewriter().Forward(first, "second.example");
        string srs0Local = first[..first.IndexOf('@')];
        Assert.Matches("^SRS1=[A-Z2-7]{8}=first.example==", second);
        Assert.EndsWith("==" + srs0Local[5..] + "@second.example", second, StringComparison.Ordinal);

        // The second forwarder gives the bounce back to the first, which gives it to alice.
        SrsReverseResult back = Rewriter().Reverse(second);
        Assert.Equal(new SrsReverseResult(SrsReverseStatus.Ok, first), back);
        Assert.Equal("alice@example.com", Rewriter().Reverse(back.Address!).Address);
    }

    [Fact]
    public void Srs1_forwarded_again_keeps_the_first_forwarder()
    {
        string first = Rewriter().Forward("alice@example.com", "first.example");
        string second = Rewriter().Forward(first, "second.example");
        string third = Rewriter().Forward(second, "third.example");
        Assert.Matches("^SRS1=[A-Z2-7]{8}=first.example==", third);
        Assert.EndsWith("@third.example", third, StringComparison.Ordinal);
        Assert.Equal(first, Rewriter().Reverse(third).Address);
    }

    [Fact]
    public void Tampering_is_a_bad_hash()
    {
        string rewritten = Rewriter().Forward("alice@example.com", "f.example");
        Assert.Equal(SrsReverseStatus.BadHash, Rewriter().Reverse(rewritten.Replace("alice", "mallory", StringComparison.Ordinal)).Status);
        Assert.Equal(SrsReverseStatus.BadHash, Rewriter().Reverse(rewritten.Replace("example.com", "example.net", StringComparison.Ordinal)).Status);
        Assert.Equal(SrsReverseStatus.BadHash, Rewriter(key: Encoding.ASCII.GetBytes("another-key-of-16-bytes")).Reverse(rewritten).Status);
        string srs1 = Rewriter().Forward(rewritten, "g.example");
        Assert.Equal(SrsReverseStatus.BadHash, Rewriter().Reverse(srs1.Replace("=f.example==", "=evil.example==", StringComparison.Ordinal)).Status);
    }

    [Fact]
    public void Previous_keys_verify_after_rotation()
    {
        byte[] newKey = Encoding.ASCII.GetBytes("the-new-key-0123456789");
        string rewritten = Rewriter().Forward("alice@example.com", "f.example");
        Assert.Equal(SrsReverseStatus.Ok, Rewriter(key: newKey, previous: [Key]).Reverse(rewritten).Status);
        Assert.Equal(SrsReverseStatus.BadHash, Rewriter(key: newKey).Reverse(rewritten).Status);
    }

    [Theory]
    [InlineData(0, SrsReverseStatus.Ok)]
    [InlineData(21, SrsReverseStatus.Ok)]
    [InlineData(22, SrsReverseStatus.Expired)]
    [InlineData(500, SrsReverseStatus.Expired)]
    [InlineData(-1, SrsReverseStatus.Expired)]
    public void Maximum_age(int daysLater, SrsReverseStatus expected)
    {
        string rewritten = Rewriter().Forward("alice@example.com", "f.example");
        Assert.Equal(expected, Rewriter(Now + daysLater * 86400L).Reverse(rewritten).Status);
    }

    [Fact]
    public void Timestamp_wraps_modulo_1024_days()
    {
        // Day 1023 -> "77"; a bounce two days later (day 1025, stamp 1) is 2 days old.
        long day1023 = 1023L * 86400;
        string rewritten = Rewriter(day1023).Forward("alice@example.com", "f.example");
        Assert.Contains("=77=", rewritten, StringComparison.Ordinal);
        Assert.Equal(SrsReverseStatus.Ok, Rewriter(day1023 + 2 * 86400).Reverse(rewritten).Status);
    }

    [Theory]
    [InlineData("alice@example.com", SrsReverseStatus.NotSrs)]
    [InlineData("SRS2=x@f.example", SrsReverseStatus.NotSrs)]
    [InlineData("SRS0=ABCDEFGH=G3=example.com@f.example", SrsReverseStatus.Malformed)]
    [InlineData("SRS0=ABCDEFGH=G=example.com=alice@f.example", SrsReverseStatus.Malformed)]
    [InlineData("SRS0=ABCDEFGH=G1=example.com=alice@f.example", SrsReverseStatus.Malformed)]
    [InlineData("SRS0=ABCDEFGH=G3==alice@f.example", SrsReverseStatus.Malformed)]
    [InlineData("SRS1=ABCDEFGH=first.example@f.example", SrsReverseStatus.Malformed)]
    [InlineData("SRS1=ABCDEFGH==rest@f.example", SrsReverseStatus.Malformed)]
    [InlineData("SRS0=ABCDEFGH=G3=example.com=alice@f.example", SrsReverseStatus.BadHash)]
    public void Malformed_and_foreign_addresses(string address, SrsReverseStatus expected)
    {
        Assert.Equal(expected, Rewriter().Reverse(address).Status);
    }

    [Fact]
    public void Short_keys_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new SrsRewriter(new SrsOptions { Key = new byte[8] }));
    }
}
