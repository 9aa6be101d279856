using System.Security.Claims;
using Appliance.Server.Accounts;
using Appliance.Server.Certificates;
using Appliance.Server.DnsAdvisor;
using Appliance.Server.Queue;
using Appliance.Storage.Entities;
using Appliance.Web.Admin;
using Microsoft.AspNetCore.Authentication;

namespace Appliance.Web.Api;

/// <summary>
/// The REST API under /api/v1: the admin UI's operations for scripts, authenticated by per-admin
/// tokens, with the same rules (domain admins reach only their domains; anything else is 404).
/// Refusals are RFC 9457 problem documents with the same texts the UI shows.
/// </summary>
internal static class ApiEndpoints
{
    public const string Policy = "api";
    public const string Base = "/api/v1";

    public static void AddApi(this IServiceCollection services)
    {
        services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, ApiTokenAuthenticationHandler>(ApiTokenAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder().AddPolicy(Policy, policy => policy
            .AddAuthenticationSchemes(ApiTokenAuthenticationHandler.SchemeName)
            .RequireRole(AdminAuthentication.AdminRole, AdminAuthentication.DomainAdminRole));
        services.AddProblemDetails();
    }

    public static void MapApi(this WebApplication app)
    {
        app.MapGet(Base + "/openapi.json", () => Results.Text(OpenApiDocument.Json, "application/json")).AllowAnonymous();
        var api = app.MapGroup(Base).RequireAuthorization(Policy).DisableAntiforgery();

        api.MapGet("/domains", async (ClaimsPrincipal user, AccountService accounts, CancellationToken ct) =>
            Results.Ok((await accounts.ListDomainsAsync(ct)).Where(d => AdminAccess.CanManageDomain(user, d.Name))));
        api.MapPost("/domains", (NewDomainRequest body, ClaimsPrincipal user, AccountService accounts, CancellationToken ct) => Run(async () =>
        {
            if (!AdminAccess.IsAdmin(user))
                return Results.Problem("Only administrators add domains.", statusCode: StatusCodes.Status403Forbidden);
            var domain = await accounts.AddDomainAsync(body.Name ?? "", Actor(user), ct);
            return Results.Created($"{Base}/domains/{domain.Name}", domain);
        }));
        api.MapDelete("/domains/{name}", (string name, bool? force, ClaimsPrincipal user, AccountService accounts, CancellationToken ct) => Run(async () =>
        {
            if (!AdminAccess.IsAdmin(user))
                return Results.Problem("Only administrators remove domains.", statusCode: StatusCodes.Status403Forbidden);
            await accounts.RemoveDomainAsync(name, force == true, Actor(user), ct);
            return Results.NoContent();
        }));
        api.MapGet("/domains/{name}/dns", (string name, ClaimsPrincipal user, AccountService accounts, DnsSetupService dns, CancellationToken ct) => Run(async () =>
            await Managed(user, accounts, name, ct) is { } domain ? Results.Ok(await dns.GetRecordsAsync(domain.Name, ct)) : Results.NotFound()));
        api.MapGet("/domains/{name}/dns/check", (string name, ClaimsPrincipal user, AccountService accounts, DnsSetupService dns, CancellationToken ct) => Run(async () =>
            await Managed(user, accounts, name, ct) is { } domain ? Results.Ok(await dns.CheckAsync(domain.Name, ct)) : Results.NotFound()));

        api.MapGet("/mailboxes", async (string? domain, ClaimsPrincipal user, AccountService accounts, CancellationToken ct) =>
            Results.Ok((await accounts.ListMailboxesAsync(domain, ct)).Where(m => AdminAccess.CanManageDomain(user, AdminAccess.DomainOf(m.Address)))));
        api.MapPost("/mailboxes", (NewMailboxRequest body, ClaimsPrincipal user, AccountService accounts, CancellationToken ct) => Run(async () =>
        {
            var role = body.Role ?? MailboxRole.User;
            if (!AdminAccess.CanAssignRole(user, role) || !AddressRules.TryNormalizeDomain(AdminAccess.DomainOf(body.Address ?? ""), out string d, out _)
                || !AdminAccess.CanManageDomain(user, d))
                return Results.NotFound();
            var mailbox = await accounts.AddMailboxAsync(new NewMailbox(body.Address ?? "", body.Password ?? "")
            {
                DisplayName = body.DisplayName ?? "",
                QuotaBytes = body.QuotaBytes ?? 0,
                Role = role,
                AdministeredDomains = body.AdministeredDomains ?? [],
            }, Actor(user), ct);
            return Results.Created($"{Base}/mailboxes/{mailbox.Address}", mailbox);
        }));
        api.MapPut("/mailboxes/{address}/password", (string address, PasswordRequest body, ClaimsPrincipal user, AccountService accounts, CancellationToken ct) => Run(async () =>
        {
            if (!AdminAccess.CanManageMailbox(user, await accounts.GetMailboxAsync(address, ct)))
                return Results.NotFound();
            await accounts.SetPasswordAsync(address, body.Password ?? "", Actor(user), ct);
            return Results.NoContent();
        }));
        api.MapDelete("/mailboxes/{address}", (string address, ClaimsPrincipal user, AccountService accounts, CancellationToken ct) => Run(async () =>
        {
            if (!AdminAccess.CanManageMailbox(user, await accounts.GetMailboxAsync(address, ct)))
                return Results.NotFound();
            await accounts.RemoveMailboxAsync(address, Actor(user), ct);
            return Results.NoContent();
        }));

        api.MapGet("/aliases", async (string? domain, ClaimsPrincipal user, AccountService accounts, CancellationToken ct) =>
            Results.Ok((await accounts.ListAliasesAsync(domain, ct)).Where(a => AdminAccess.CanManageDomain(user, AdminAccess.DomainOf(a.Source)))));
        api.MapPost("/aliases", (NewAliasRequest body, ClaimsPrincipal user, AccountService accounts, CancellationToken ct) => Run(async () =>
        {
            if (!AddressRules.TryNormalizeDomain(AdminAccess.DomainOf(body.Source ?? ""), out string d, out _) || !AdminAccess.CanManageDomain(user, d))
                return Results.NotFound();
            var alias = await accounts.AddAliasAsync(body.Source ?? "", body.Destinations ?? [], Actor(user), ct);
            return Results.Created($"{Base}/aliases/{alias.Source}", alias);
        }));
        api.MapDelete("/aliases/{source}", (string source, ClaimsPrincipal user, AccountService accounts, CancellationToken ct) => Run(async () =>
        {
            if (!AddressRules.TryNormalizeDomain(AdminAccess.DomainOf(source), out string d, out _) || !AdminAccess.CanManageDomain(user, d))
                return Results.NotFound();
            await accounts.RemoveAliasAsync(source, Actor(user), ct);
            return Results.NoContent();
        }));

        // The queue holds everyone's mail: administrators only.
        api.MapGet("/queue", (ClaimsPrincipal user, QueueStore queue) => !AdminAccess.IsAdmin(user) ? Results.NotFound()
            : Results.Ok(queue.ListMessages().Select(m => new
            {
                m.Id, m.ReversePath, m.Size, m.Created, m.Origin,
                Recipients = queue.GetRecipients(m.Id).Select(r => new { r.Address, r.Attempts, r.NextAttempt, r.LastAttempt, r.LastReply, r.LastRemoteHost }),
            })));
        api.MapPost("/queue/{id}/retry", (string id, ClaimsPrincipal user, QueueStore queue, TimeProvider time) =>
        {
            if (!AdminAccess.IsAdmin(user) || !QueueStore.IsValidId(id) || !queue.RetryNow(id, time.GetUtcNow()))
                return Results.NotFound();
            queue.TouchWake();
            return Results.NoContent();
        });
        api.MapDelete("/queue/{id}", (string id, ClaimsPrincipal user, QueueStore queue) =>
            AdminAccess.IsAdmin(user) && QueueStore.IsValidId(id) && queue.Delete(id) ? Results.NoContent() : Results.NotFound());

        // The server's certificates, as on the dashboard: administrators only.
        api.MapGet("/certificates", (ClaimsPrincipal user, CertificateStatus status) => !AdminAccess.IsAdmin(user) ? Results.NotFound()
            : Results.Ok(new { status.RenewalEnabled, status.Certificates, LeftOut = status.LeftOutNames }));
    }

    private static string Actor(ClaimsPrincipal user) => "api:" + (user.Identity?.Name ?? "?");

    /// <summary>A domain the caller may manage, or null (unknown and foreign domains look the same).</summary>
    private static async Task<DomainInfo?> Managed(ClaimsPrincipal user, AccountService accounts, string name, CancellationToken ct)
    {
        var domain = await accounts.GetDomainAsync(name, ct);
        return AdminAccess.CanManageDomain(user, domain.Name) ? domain : null;
    }

    /// <summary>Account refusals as problem documents: not found 404, already there 409, anything else the caller's input (400).</summary>
    private static async Task<IResult> Run(Func<Task<IResult>> action)
    {
        try
        {
            return await action();
        }
        catch (AccountException e)
        {
            int status = e.Error switch
            {
                AccountError.DomainNotFound or AccountError.MailboxNotFound or AccountError.AliasNotFound => StatusCodes.Status404NotFound,
                AccountError.DomainExists or AccountError.MailboxExists or AccountError.AliasExists or AccountError.Conflict
                    or AccountError.AddressIsMailbox or AccountError.AddressIsAlias or AccountError.DomainHasMailboxes => StatusCodes.Status409Conflict,
                _ => StatusCodes.Status400BadRequest,
            };
            return Results.Problem(e.Message, statusCode: status, extensions: new Dictionary<string, object?> { ["error"] = e.Error.ToString() });
        }
    }

    internal sealed record NewDomainRequest(string? Name);
    internal sealed record NewMailboxRequest(string? Address, string? Password, string? DisplayName, long? QuotaBytes, MailboxRole? Role, IReadOnlyList<string>? AdministeredDomains);
    internal sealed record PasswordRequest(string? Password);
    internal sealed record NewAliasRequest(string? Source, IReadOnlyList<string>? Destinations);
}
