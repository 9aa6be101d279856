using System.Text.Json;

namespace Appliance.Acme.Tests;

public sealed class AcmeProblemTests
{
    [Fact]
    public void A_problem_with_subproblems_keeps_each_identifier_and_describes_them_all()
    {
        // The shape of RFC 8555 6.7.1's example.
        using var json = JsonDocument.Parse("""
            {
              "type": "urn:ietf:params:acme:error:malformed",
              "detail": "Some of the identifiers requested were rejected",
              "status": 400,
              "subproblems": [
                { "type": "urn:ietf:params:acme:error:malformed", "detail": "Invalid underscore in DNS name \"_example.org\"",
                  "identifier": { "type": "dns", "value": "_example.org" } },
                { "type": "urn:ietf:params:acme:error:rejectedIdentifier", "detail": "This CA will not issue for \"example.net\"",
                  "identifier": { "type": "dns", "value": "example.net" } }
              ]
            }
            """);

        var problem = AcmeProblem.Parse(json.RootElement);

        Assert.Equal("urn:ietf:params:acme:error:malformed", problem.Type);
        Assert.Equal("malformed", problem.Name);
        Assert.Equal(400, problem.Status);
        Assert.Equal(2, problem.Subproblems.Count);
        Assert.Equal(AcmeIdentifier.Dns("example.net"), problem.Subproblems[1].Identifier);
        Assert.True(problem.Subproblems[1].Is(AcmeProblem.RejectedIdentifier));
        Assert.Equal(
            "malformed: Some of the identifiers requested were rejected (_example.org: malformed: Invalid underscore in DNS name \"_example.org\"; " +
            "example.net: rejectedIdentifier: This CA will not issue for \"example.net\")",
            problem.Describe());
    }

    [Fact]
    public void A_problem_without_type_is_about_blank_and_a_foreign_type_is_kept_whole()
    {
        using var blank = JsonDocument.Parse("""{ "detail": "oops" }""");
        using var foreign = JsonDocument.Parse("""{ "type": "https://example.com/probs/out-of-credit", "detail": 7 }""");

        Assert.Equal("about:blank: oops", AcmeProblem.Parse(blank.RootElement).Describe());
        var other = AcmeProblem.Parse(foreign.RootElement);
        Assert.Equal("https://example.com/probs/out-of-credit", other.Name);
        Assert.Null(other.Detail);
    }

    [Fact]
    public void The_exception_message_names_the_action_and_the_problem()
    {
        var problem = new AcmeProblem(AcmeProblem.RateLimited, "too many certificates already issued", 429, null, []);

        var e = AcmeException.FromProblem("Ordering a certificate for mail.example.org", problem, System.Net.HttpStatusCode.TooManyRequests, TimeSpan.FromHours(3));

        Assert.Equal("Ordering a certificate for mail.example.org: rateLimited: too many certificates already issued", e.Message);
        Assert.Same(problem, e.Problem);
        Assert.Equal(TimeSpan.FromHours(3), e.RetryAfter);
    }
}
