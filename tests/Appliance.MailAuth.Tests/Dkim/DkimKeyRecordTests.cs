using Appliance.MailAuth.Dkim;
using Appliance.MailAuth.Spf;

namespace Appliance.MailAuth.Tests.Dkim;

public sealed class DkimKeyRecordTests
{
    [Theory]
    [InlineData("v=DKIM1; k=rsa; p=ABC", "ABC")]
    [InlineData("v=DKIM1; p=AB C\r\n D ;", "ABCD")] // RFC 6376 3.6.1: the base64 may be folded
    [InlineData("v=DKIM1; k=rsa; p=", "")] // revoked
    public void The_public_key_is_read_without_folding(string record, string key)
    {
        Assert.True(DkimKeyRecord.TryGetPublicKey(record, out string found));
        Assert.Equal(key, found);
    }

    [Theory]
    [InlineData("v=DKIM1; k=rsa")]
    [InlineData("v=DKIM1; p=A; p=B")]
    [InlineData("not a tag list")]
    public void Records_without_one_valid_p_tag_give_nothing(string record) =>
        Assert.False(DkimKeyRecord.TryGetPublicKey(record, out _));

    [Theory]
    [InlineData("v=spf1 -all", true)]
    [InlineData("V=SPF1", true)]
    [InlineData("v=spf10 -all", false)]
    [InlineData("v=DKIM1; p=A", false)]
    public void Spf_records_are_recognised_as_rfc_7208_4_5_says(string text, bool expected) =>
        Assert.Equal(expected, SpfEvaluator.IsSpfRecord(text));
}
