using System.Text.Json;
using System.Text.Json.Nodes;

namespace Appliance.Web.Api;

/// <summary>
/// The OpenAPI 3.1 description of /api/v1, written by hand (the mirror has no OpenAPI generator
/// package): every operation, its parameters and answers. A test checks it against the routes.
/// </summary>
internal static class OpenApiDocument
{
    /// <summary>(method, path, summary, path and query parameters, has a JSON body).</summary>
    internal static readonly (string Method, string Path, string Summary, string[] Parameters, bool Body)[] Operations =
    [
        ("get", "/domains", "List the domains the caller manages.", [], false),
        ("post", "/domains", "Add a domain (administrators); its DKIM key is made at once. Body: {\"name\": \"example.org\"}.", [], true),
        ("delete", "/domains/{name}", "Remove a domain (administrators); ?force=true also removes its mailboxes and their mail.", ["name", "?force"], false),
        ("get", "/domains/{name}/dns", "The DNS records to publish for the domain.", ["name"], false),
        ("get", "/domains/{name}/dns/check", "Each record checked live: ok, wrong (with what was found), missing or lookupFailed.", ["name"], false),
        ("get", "/mailboxes", "List mailboxes, optionally of one ?domain=.", ["?domain"], false),
        ("post", "/mailboxes", "Add a mailbox. Body: {\"address\", \"password\", \"displayName\", \"quotaBytes\", \"role\", \"administeredDomains\"}.", [], true),
        ("put", "/mailboxes/{address}/password", "Set a mailbox's password. Body: {\"password\"}.", ["address"], true),
        ("delete", "/mailboxes/{address}", "Remove a mailbox and all its mail.", ["address"], false),
        ("get", "/aliases", "List aliases, optionally of one ?domain=.", ["?domain"], false),
        ("post", "/aliases", "Add an alias. Body: {\"source\": \"sales@example.org\", \"destinations\": [\"alice@example.org\"]}; \"@example.org\" is the catch-all.", [], true),
        ("delete", "/aliases/{source}", "Remove an alias.", ["source"], false),
        ("get", "/queue", "The outbound queue (administrators).", [], false),
        ("post", "/queue/{id}/retry", "Retry a queued message now (administrators).", ["id"], false),
        ("delete", "/queue/{id}", "Delete a queued message without notice (administrators).", ["id"], false),
        ("get", "/certificates", "The served certificates (names, issuer, validity, source, last renewal attempt and error, next attempt) and the names left out of the order with why (administrators).", [], false),
    ];

    public static readonly string Json = Build();

    private static string Build()
    {
        var paths = new JsonObject();
        foreach (var (method, path, summary, parameters, body) in Operations)
        {
            var operation = new JsonObject
            {
                ["summary"] = summary,
                ["parameters"] = new JsonArray([.. parameters.Select(p => (JsonNode)new JsonObject
                {
                    ["name"] = p.TrimStart('?'),
                    ["in"] = p.StartsWith('?') ? "query" : "path",
                    ["required"] = !p.StartsWith('?'),
                    ["schema"] = new JsonObject { ["type"] = p == "?force" ? "boolean" : "string" },
                })]),
                ["responses"] = new JsonObject
                {
                    [method switch { "post" when !path.EndsWith("/retry", StringComparison.Ordinal) => "201", "get" => "200", _ => "204" }] = new JsonObject { ["description"] = "Done." },
                    ["400"] = Problem("The input was refused; detail says why."),
                    ["401"] = new JsonObject { ["description"] = "No valid API token." },
                    ["404"] = Problem("Not found, or not the caller's to manage."),
                    ["409"] = Problem("It already exists, or is in use."),
                },
            };
            if (body)
                operation["requestBody"] = new JsonObject { ["required"] = true, ["content"] = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = new JsonObject { ["type"] = "object" } } } };
            var item = paths[path] as JsonObject ?? new JsonObject();
            item[method] = operation;
            paths[path] = item;
        }
        var document = new JsonObject
        {
            ["openapi"] = "3.1.0",
            ["info"] = new JsonObject { ["title"] = "Appliance admin API", ["version"] = "1" },
            ["servers"] = new JsonArray(new JsonObject { ["url"] = ApiEndpoints.Base }),
            ["security"] = new JsonArray(new JsonObject { ["token"] = new JsonArray() }),
            ["components"] = new JsonObject
            {
                ["securitySchemes"] = new JsonObject
                {
                    ["token"] = new JsonObject { ["type"] = "http", ["scheme"] = "bearer", ["description"] = "An API token made on the account's Tokens page (apl_...)." },
                },
            },
            ["paths"] = paths,
        };
        return document.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static JsonObject Problem(string description) => new()
    {
        ["description"] = description,
        ["content"] = new JsonObject { ["application/problem+json"] = new JsonObject { ["schema"] = new JsonObject { ["type"] = "object" } } },
    };
}
