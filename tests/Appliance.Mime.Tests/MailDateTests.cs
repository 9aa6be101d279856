namespace Appliance.Mime.Tests;

public sealed class MailDateTests
{
    [Theory]
    // RFC 5322 3.3 and its Appendix A examples
    [InlineData("Fri, 21 Nov 1997 09:55:06 -0600", "1997-11-21T09:55:06-06:00")]
    [InlineData("Tue, 1 Jul 2003 10:52:37 +0200", "2003-07-01T10:52:37+02:00")]
    [InlineData("Thu, 13 Feb 1969 23:32:54 -0330", "1969-02-13T23:32:54-03:30")]
    [InlineData("Mon, 12 Jan 2004 07:00:00 +0000", "2004-01-12T07:00:00+00:00")]
    // missing day of week, missing seconds
    [InlineData("21 Nov 1997 09:55:06 -0600", "1997-11-21T09:55:06-06:00")]
    [InlineData("Fri, 21 Nov 1997 09:55 -0600", "1997-11-21T09:55:00-06:00")]
    // RFC 5322 4.3 obsolete: comments and folding whitespace everywhere (Appendix A.6.3)
    [InlineData("Thu,\r\n      13\r\n        Feb\r\n          1969\r\n      23:32\r\n               -0330 (Newfoundland Time)", "1969-02-13T23:32:00-03:30")]
    [InlineData("Fri, 21 Nov 1997 09:55:06 -0600 (CST)", "1997-11-21T09:55:06-06:00")]
    [InlineData("  Fri ,  21   Nov  1997   09:55:06   -0600  ", "1997-11-21T09:55:06-06:00")]
    // obsolete zones (4.3)
    [InlineData("21 Nov 97 09:55:06 GMT", "1997-11-21T09:55:06+00:00")]
    [InlineData("21 Nov 1997 09:55:06 UT", "1997-11-21T09:55:06+00:00")]
    [InlineData("21 Nov 1997 09:55:06 EST", "1997-11-21T09:55:06-05:00")]
    [InlineData("21 Nov 1997 09:55:06 EDT", "1997-11-21T09:55:06-04:00")]
    [InlineData("21 Nov 1997 09:55:06 CST", "1997-11-21T09:55:06-06:00")]
    [InlineData("21 Nov 1997 09:55:06 CDT", "1997-11-21T09:55:06-05:00")]
    [InlineData("21 Nov 1997 09:55:06 MST", "1997-11-21T09:55:06-07:00")]
    [InlineData("21 Nov 1997 09:55:06 MDT", "1997-11-21T09:55:06-06:00")]
    [InlineData("21 Nov 1997 09:55:06 PST", "1997-11-21T09:55:06-08:00")]
    [InlineData("21 Nov 1997 09:55:06 PDT", "1997-11-21T09:55:06-07:00")]
    // military zones are read as -0000 (4.3 says their signs are unreliable)
    [InlineData("21 Nov 1997 09:55:06 Z", "1997-11-21T09:55:06+00:00")]
    [InlineData("21 Nov 1997 09:55:06 A", "1997-11-21T09:55:06+00:00")]
    [InlineData("21 Nov 1997 09:55:06 m", "1997-11-21T09:55:06+00:00")]
    [InlineData("21 Nov 1997 09:55:06 -0000", "1997-11-21T09:55:06+00:00")]
    // unknown or missing zone: UTC
    [InlineData("21 Nov 1997 09:55:06 XYZT", "1997-11-21T09:55:06+00:00")]
    [InlineData("21 Nov 1997 09:55:06", "1997-11-21T09:55:06+00:00")]
    // two- and three-digit years (4.3)
    [InlineData("1 Jan 00 00:00 +0000", "2000-01-01T00:00:00+00:00")]
    [InlineData("1 Jan 49 00:00 +0000", "2049-01-01T00:00:00+00:00")]
    [InlineData("1 Jan 50 00:00 +0000", "1950-01-01T00:00:00+00:00")]
    [InlineData("1 Jan 99 00:00 +0000", "1999-01-01T00:00:00+00:00")]
    [InlineData("1 Jan 103 00:00 +0000", "2003-01-01T00:00:00+00:00")]
    // common broken forms
    [InlineData("Mon Jan 12 10:00:00 2004", "2004-01-12T10:00:00+00:00")]
    [InlineData("Mon Jan 12 10:00:00 EST 2004", "2004-01-12T10:00:00-05:00")]
    [InlineData("12-Jan-2004 10:00:00 +0100", "2004-01-12T10:00:00+01:00")]
    [InlineData("2004-01-12 10:00:00 +0100", "2004-01-12T10:00:00+01:00")]
    [InlineData("2004-01-12T10:00:00Z", "2004-01-12T10:00:00+00:00")]
    [InlineData("2004-01-12T10:00:00.123+01:00", "2004-01-12T10:00:00+01:00")]
    [InlineData("Mon, 12 January 2004 10:00:00 +0100", "2004-01-12T10:00:00+01:00")]
    [InlineData("Mon, 12 Jan 2004 10:00:00 +01:00", "2004-01-12T10:00:00+01:00")]
    [InlineData("Mon, 12 Jan 2004 10:00:00 CET", "2004-01-12T10:00:00+01:00")]
    [InlineData("Mon, 12 Jan 2004 1:2:3 +0100", "2004-01-12T01:02:03+01:00")]
    [InlineData("Mon, 12 Jan 2004 10:00:00 PM +0100", "2004-01-12T22:00:00+01:00")]
    [InlineData("Mon, 12 Jan 2004 12:30 am +0100", "2004-01-12T00:30:00+01:00")]
    [InlineData("Mon,12 Jan 2004 10:00:00 +0100", "2004-01-12T10:00:00+01:00")]
    [InlineData("12 Jan 2004", "2004-01-12T00:00:00+00:00")]
    [InlineData("Mon, 12 Jan 2004 10:00:00 GMT+0100", "2004-01-12T10:00:00+01:00")]
    [InlineData("Mon, 12 Jan 2004 10:00:00 UTC-5", "2004-01-12T10:00:00-05:00")]
    [InlineData("Wed, 31 Dec 2008 23:59:60 +0000", "2008-12-31T23:59:59+00:00")]
    [InlineData("Tue, 1 Jul 2003 10:52:37 +2500", "2003-07-01T10:52:37+00:00")]
    public void Parses(string value, string expected)
    {
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), MailDate.Parse(value));
        Assert.Equal(TimeSpan.Parse(expected[^6..].TrimStart('+'), System.Globalization.CultureInfo.InvariantCulture), MailDate.Parse(value)!.Value.Offset);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("not a date")]
    [InlineData("Fri, 21 1997 09:55:06 -0600")] // no month
    [InlineData("Fri, Nov 1997 09:55:06 -0600")] // no day
    [InlineData("31 Feb 2004 10:00:00 +0000")] // no such day
    [InlineData("21 Nov 1997 25:00:00 +0000")] // no such hour
    [InlineData("21 Nov 1997 10:61 +0000")] // no such minute
    [InlineData("21 Nov 1997 10:00:00:00 +0000")] // not a time
    [InlineData("21 Nov 99999999999 10:00 +0000")] // no such year
    public void Returns_null_when_hopeless(string? value)
    {
        Assert.Null(MailDate.Parse(value));
    }
}
