using Appliance.Server.Accounts;
using Appliance.Web.Admin;

namespace Appliance.Web.Tests.Admin;

/// <summary>The setup token, the sign-in throttle and the first-run setup, without a browser.</summary>
public sealed class AdminSecurityTests
{
    [Fact]
    public void The_setup_token_matches_only_itself_ignoring_case_spaces_and_dashes_and_closes()
    {
        var token = new SetupToken();
        Assert.False(token.IsOpen);
        Assert.False(token.Matches(""));
        string value = token.Issue();
        Assert.Equal(20, value.Length);
        Assert.True(token.IsOpen);
        Assert.True(token.Matches(value));
        Assert.True(token.Matches(" " + string.Join('-', value.Chunk(5).Select(c => new string(c))).ToLowerInvariant() + " "));
        Assert.False(token.Matches(value[..19]));
        Assert.False(token.Matches(value + "A"));
        Assert.False(token.Matches(null));
        string next = token.Issue();
        Assert.False(next != value && token.Matches(value));
        token.Close();
        Assert.False(token.IsOpen);
        Assert.False(token.Matches(next));
    }

    [Fact]
    public void The_throttle_slows_down_after_a_few_failures_per_address_and_per_account_and_forgets()
    {
        var time = new ManualTime(DateTimeOffset.Parse("2026-11-21T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var throttle = new SignInThrottle(time);
        for (int i = 0; i < SignInThrottle.FreeFailures; i++)
        {
            Assert.Equal(TimeSpan.Zero, throttle.DelayFor("192.0.2.1", "alice@example.org"));
            throttle.RecordFailure("192.0.2.1", "alice@example.org");
        }
        Assert.Equal(SignInThrottle.BaseDelay, throttle.DelayFor("192.0.2.1", "bob@example.org")); // same address
        Assert.Equal(SignInThrottle.BaseDelay, throttle.DelayFor("198.51.100.9", "ALICE@example.org ")); // same account, elsewhere
        Assert.Equal(TimeSpan.Zero, throttle.DelayFor("198.51.100.9", "bob@example.org"));
        for (int i = 0; i < 20; i++)
            throttle.RecordFailure("192.0.2.1", "alice@example.org");
        Assert.Equal(SignInThrottle.MaxDelay, throttle.DelayFor("192.0.2.1", "alice@example.org"));

        // A success clears the account, not the address; time clears both.
        throttle.RecordSuccess("alice@example.org");
        Assert.Equal(TimeSpan.Zero, throttle.DelayFor("198.51.100.9", "alice@example.org"));
        Assert.Equal(SignInThrottle.MaxDelay, throttle.DelayFor("192.0.2.1", "carol@example.org"));
        time.Advance(SignInThrottle.Window + TimeSpan.FromSeconds(1));
        Assert.Equal(TimeSpan.Zero, throttle.DelayFor("192.0.2.1", "carol@example.org"));
    }

    [Fact]
    public void The_throttle_stays_bounded_under_a_flood_of_names()
    {
        var throttle = new SignInThrottle(new ManualTime(DateTimeOffset.UnixEpoch));
        for (int i = 0; i < SignInThrottle.MaxTrackedKeys * 2; i++)
            throttle.RecordFailure("192.0.2." + (i % 250), $"user{i}@example.org");
        Assert.True(throttle.TrackedKeys <= SignInThrottle.MaxTrackedKeys);
    }
}

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualTime(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
