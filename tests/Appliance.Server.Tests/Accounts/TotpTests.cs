using System.Text;
using Appliance.Server.Accounts;
using Appliance.Server.Tests.Dkim;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests.Accounts;

public sealed class TotpTests
{
    private static readonly byte[] Rfc6238Secret = Encoding.ASCII.GetBytes("12345678901234567890");

    [Theory]
    // RFC 6238 Appendix B (SHA1), the last six of its eight digits.
    [InlineData(59, "287082")]
    [InlineData(1111111109, "081804")]
    [InlineData(1111111111, "050471")]
    [InlineData(1234567890, "005924")]
    [InlineData(2000000000, "279037")]
    [InlineData(20000000000, "353130")]
    public void Codes_match_the_rfc_6238_test_vectors(long unixTime, string code) =>
        Assert.Equal(code, Totp.Code(Rfc6238Secret, Totp.StepAt(DateTimeOffset.FromUnixTimeSeconds(unixTime))));

    [Theory]
    [InlineData("", "")]
    [InlineData("f", "MY")]
    [InlineData("fo", "MZXQ")]
    [InlineData("foo", "MZXW6")]
    [InlineData("foob", "MZXW6YQ")]
    [InlineData("fooba", "MZXW6YTB")]
    [InlineData("foobar", "MZXW6YTBOI")]
    public void Base32_follows_rfc_4648_without_padding(string data, string expected) =>
        Assert.Equal(expected, Totp.ToBase32(Encoding.ASCII.GetBytes(data)));

    [Fact]
    public void Verify_allows_one_step_of_drift_and_no_reuse()
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(1234567890);
        long step = Totp.StepAt(now);
        Assert.Equal(step, Totp.Verify(Rfc6238Secret, Totp.Code(Rfc6238Secret, step), now, 0));
        Assert.Equal(step - 1, Totp.Verify(Rfc6238Secret, Totp.Code(Rfc6238Secret, step - 1), now, 0));
        Assert.Equal(step + 1, Totp.Verify(Rfc6238Secret, " " + Totp.Code(Rfc6238Secret, step + 1)[..3] + " " + Totp.Code(Rfc6238Secret, step + 1)[3..], now, 0));
        Assert.Null(Totp.Verify(Rfc6238Secret, Totp.Code(Rfc6238Secret, step - 2), now, 0));
        Assert.Null(Totp.Verify(Rfc6238Secret, Totp.Code(Rfc6238Secret, step + 2), now, 0));
        Assert.Null(Totp.Verify(Rfc6238Secret, Totp.Code(Rfc6238Secret, step), now, lastUsedStep: step));
        Assert.Null(Totp.Verify(Rfc6238Secret, "12345", now, 0));
        Assert.Null(Totp.Verify(Rfc6238Secret, "１２３４５６", now, 0));
        Assert.Null(Totp.Verify(Rfc6238Secret, null, now, 0));
        Assert.Equal("otpauth://totp/mail.example.org:alice%40example.org?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=mail.example.org&algorithm=SHA1&digits=6&period=30",
            Totp.ProvisioningUri("mail.example.org", "alice@example.org", Rfc6238Secret));
    }

    [Fact]
    public async Task Two_factor_codes_are_single_use_and_recovery_codes_are_used_up()
    {
        await using var host = await DkimTestHost.StartAsync();
        await host.Accounts.AddDomainAsync("example.org", "test");
        await host.Accounts.AddMailboxAsync(new NewMailbox("alice@example.org", "correct horse"), "test");
        var user = await host.Services.GetRequiredService<PasswordAuthenticator>().AuthenticateAsync("alice@example.org", "correct horse");
        var service = host.Services.GetRequiredService<TwoFactorService>();
        byte[] secret = Totp.NewSecret();
        long step = Totp.StepAt(host.Time.GetUtcNow());

        Assert.False(await service.IsEnabledAsync(user!.MailboxId));
        Assert.Null(await service.EnableAsync(user.MailboxId, secret, "000000" == Totp.Code(secret, step) ? "111111" : "000000"));
        var codes = await service.EnableAsync(user.MailboxId, secret, Totp.Code(secret, step));
        Assert.NotNull(codes);
        Assert.Equal(TwoFactorService.RecoveryCodeCount, codes.Distinct().Count());
        Assert.All(codes, c => Assert.Matches("^[A-Z2-7]{4}-[A-Z2-7]{4}$", c));
        Assert.True(await service.IsEnabledAsync(user.MailboxId));

        // The code that enabled it is spent; the next step's is good once.
        Assert.False(await service.VerifyAsync(user.MailboxId, Totp.Code(secret, step)));
        host.Time.Advance(Totp.Step);
        Assert.True(await service.VerifyAsync(user.MailboxId, Totp.Code(secret, step + 1)));
        Assert.False(await service.VerifyAsync(user.MailboxId, Totp.Code(secret, step + 1)));

        Assert.True(await service.VerifyAsync(user.MailboxId, codes[3].ToLowerInvariant()));
        Assert.False(await service.VerifyAsync(user.MailboxId, codes[3]));
        Assert.True(await service.VerifyAsync(user.MailboxId, codes[4].Replace("-", "")));
        Assert.Equal(TwoFactorService.RecoveryCodeCount - 2, await service.RecoveryCodesLeftAsync(user.MailboxId));
        Assert.False(await service.VerifyAsync(user.MailboxId, "AAAA-AAAA"));

        // The stamp changes, so other web sessions end; turning it off changes it again.
        var withTotp = await host.Services.GetRequiredService<PasswordAuthenticator>().GetSessionStampAsync(user.MailboxId);
        Assert.NotEqual(user.SessionStamp, withTotp);
        await service.DisableAsync(user.MailboxId, "test");
        Assert.False(await service.IsEnabledAsync(user.MailboxId));
        Assert.False(await service.VerifyAsync(user.MailboxId, codes[5]));
        Assert.NotEqual(withTotp, await host.Services.GetRequiredService<PasswordAuthenticator>().GetSessionStampAsync(user.MailboxId));
    }
}
