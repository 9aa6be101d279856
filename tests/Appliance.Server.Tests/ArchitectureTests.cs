using System.Reflection;
using System.Xml.Linq;

namespace Appliance.Server.Tests;

/// <summary>
/// Keeps the project graph of ../shared/ARCHITECTURE.md from drifting: each project references
/// exactly the projects it is allowed to, and the protocol libraries stay free of ASP.NET Core,
/// EF Core and the store.
/// </summary>
public sealed class ArchitectureTests
{
    private static readonly Dictionary<string, string[]> AllowedReferences = new()
    {
        ["Appliance.Mime"] = [],
        ["Appliance.Dns"] = [],
        ["Appliance.Acme"] = [],
        ["Appliance.MailAuth"] = ["Appliance.Mime", "Appliance.Dns"],
        ["Appliance.Storage"] = ["Appliance.Mime"],
        ["Appliance.Migrations"] = ["Appliance.Storage"],
        ["Appliance.Server"] = ["Appliance.Storage", "Appliance.Mime", "Appliance.Dns", "Appliance.MailAuth", "Appliance.Acme"],
        ["Appliance.Web"] = ["Appliance.Server", "Appliance.Storage", "Appliance.Migrations"],
    };

    private static readonly string[] PureLibraries = ["Appliance.Mime", "Appliance.Dns", "Appliance.MailAuth", "Appliance.Acme"];

    public static TheoryData<string> Projects => new(AllowedReferences.Keys);

    [Theory]
    [MemberData(nameof(Projects))]
    public void Project_references_follow_the_dependency_direction(string project)
    {
        var references = ProjectReferences(ProjectFile(project)).Order().ToArray();
        Assert.Equal(AllowedReferences[project].Order().ToArray(), references);
    }

    [Fact]
    public void Every_product_project_is_in_the_table()
    {
        var root = RepoRoot();
        var projects = new[] { "src", "web", "migrations" }
            .SelectMany(dir => Directory.GetFiles(Path.Combine(root, dir), "*.csproj", SearchOption.AllDirectories))
            .Select(Path.GetFileNameWithoutExtension)
            .Order()
            .ToArray();
        Assert.Equal(AllowedReferences.Keys.Order().ToArray(), projects);
    }

    [Theory]
    [MemberData(nameof(PureLibraryNames))]
    public void Protocol_libraries_know_nothing_of_aspnet_efcore_or_the_store(string project)
    {
        var doc = XDocument.Load(ProjectFile(project));
        Assert.Empty(doc.Descendants("FrameworkReference"));
        Assert.Empty(doc.Descendants("PackageReference"));

        var assembly = Assembly.Load(project);
        var forbidden = assembly.GetReferencedAssemblies()
            .Select(a => a.Name ?? "")
            .Where(n => n.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal)
                        || n.StartsWith("Microsoft.EntityFrameworkCore", StringComparison.Ordinal)
                        || n is "Appliance.Storage" or "Appliance.Server")
            .ToArray();
        Assert.Empty(forbidden);
    }

    [Fact]
    public void Storage_does_not_know_aspnet()
    {
        var doc = XDocument.Load(ProjectFile("Appliance.Storage"));
        Assert.Empty(doc.Descendants("FrameworkReference"));
    }

    public static TheoryData<string> PureLibraryNames => new(PureLibraries);

    private static IEnumerable<string> ProjectReferences(string csproj) =>
        XDocument.Load(csproj).Descendants("ProjectReference")
            .Select(e => Path.GetFileNameWithoutExtension(e.Attribute("Include")!.Value.Replace('\\', '/')));

    private static string ProjectFile(string project)
    {
        var root = RepoRoot();
        return new[] { "src", "web", "migrations" }
            .Select(dir => Path.Combine(root, dir, project, project + ".csproj"))
            .Single(File.Exists);
    }

    internal static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Appliance.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("Appliance.sln not found above " + AppContext.BaseDirectory);
    }
}
