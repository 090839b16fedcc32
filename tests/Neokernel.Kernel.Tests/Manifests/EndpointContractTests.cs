using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Services;

namespace Neokernel.Kernel.Tests.Manifests;

/// <summary>
/// validate holds a client to what its endpoint serves (<see cref="ProgramDescriptor.Serves"/> and
/// <see cref="ProgramDescriptor.Uses"/>): the contract, the name it addresses and whether it may
/// set it, each reported where the client's manifest writes it; nothing is checked where the
/// provider declares nothing, or is unsound itself.
/// </summary>
public sealed class EndpointContractTests
{
    private const string System = "system: s\nservices:\n  - manifest: server.yaml\n  - manifest: loop.yaml\n  - manifest: client.yaml\nroutes:\n  - {client: client, endpoint: server.values}\n  - {client: client, endpoint: loop.commands}\n";
    private const string Server = "id: server\nkind: controller\nprogram:\n  type: test.server\n  parameters:\n    endpoint: server.values\n    names: a.X, a.Y, b.Z\n    settable: a.X\nendpoints:\n  provides:\n    - {name: server.values, maxMessageBytes: 64, queueDepth: 4}\n";
    private const string Loop = "id: loop\nkind: controller\nprogram:\n  type: test.loop\n  parameters:\n    endpoint: loop.commands\nendpoints:\n  provides:\n    - {name: loop.commands, maxMessageBytes: 64, queueDepth: 4}\n";

    [Theory]
    [InlineData("server.values", "Values", "a.X", "true")]
    [InlineData("server.values", "Values", "A.x", "true")]
    [InlineData("server.values", "Values", "b.Z", "false")]
    [InlineData("loop.commands", "Loop", "", "false")]
    public void Client_SpeaksWhatItsEndpointServes_Valid(string endpoint, string contract, string name, string sets)
    {
        var result = Load(Client(endpoint, contract, name, sets));

        Assert.True(result.Succeeded, TestPrograms.Describe(result.Diagnostics));
    }

    [Fact]
    public void UnknownName_ReportedAtTheClientsName_WithTheProvidersHint()
    {
        var result = Load(Client("server.values", "Values", "a.W", "false"));

        var error = Assert.Single(result.Diagnostics);
        Assert.Equal(("client.yaml", 8), (error.Location.File, error.Location.Line));
        Assert.Equal("program.parameters.name", error.Field);
        Assert.Equal("'a.W' is not a value of endpoint 'server.values' of 'server' (test.server, server.yaml)", error.Problem);
        Assert.Equal("one of a.X, a.Y, b.Z", error.Allowed);
    }

    [Fact]
    public void SetNameNotSettable_ReportedAtTheClientsName()
    {
        var result = Load(Client("server.values", "Values", "a.Y", "true"));

        var error = Assert.Single(result.Diagnostics);
        Assert.Equal("program.parameters.name", error.Field);
        Assert.Equal("'a.Y' is set here but not settable on endpoint 'server.values' of 'server' (test.server, server.yaml)", error.Problem);
        Assert.Equal("settable: a.X", error.Allowed);
    }

    [Theory]
    [InlineData("loop.commands", "Values", "an endpoint that speaks Values: server.values; try the other table")]
    [InlineData("server.values", "Loop", "an endpoint that speaks Loop: loop.commands; try the other table")]
    [InlineData("server.values", "Other", "an endpoint that speaks Other: none in this system does; try the other table")]
    public void ContractMismatch_ReportedAtTheClientsEndpoint_NamingThoseThatSpeakIt(string endpoint, string contract, string allowed)
    {
        var result = Load(Client(endpoint, contract, "a.X", "false"));

        var error = Assert.Single(result.Diagnostics);
        Assert.Equal(("client.yaml", 6), (error.Location.File, error.Location.Line));
        Assert.Equal("program.parameters.endpoint", error.Field);
        var served = endpoint == "loop.commands" ? "'loop' (test.loop, loop.yaml) speaks Loop" : "'server' (test.server, server.yaml) speaks Values";
        Assert.Equal($"endpoint '{endpoint}' of {served}, not the {contract} this program sends", error.Problem);
        Assert.Equal(allowed, error.Allowed);
    }

    [Fact]
    public void UnsoundProvider_OnlyItsOwnErrorIsReported()
    {
        var result = Load(Client("server.values", "Values", "a.W", "true"), Server.Replace("kind: controller", "kind: controler", StringComparison.Ordinal));

        var error = Assert.Single(result.Diagnostics);
        Assert.Equal(("server.yaml", "kind"), (error.Location.File, error.Field));
    }

    [Fact]
    public void ProviderThatDeclaresNothing_ClientIsNotChecked()
    {
        var silent = Server.Replace("type: test.server", "type: test.silent", StringComparison.Ordinal);

        var result = Load(Client("server.values", "Anything", "no.SUCH", "true"), silent);

        Assert.True(result.Succeeded, TestPrograms.Describe(result.Diagnostics));
    }

    [Fact]
    public void ValidateSystem_BuiltInCode_ChecksContractsToo()
    {
        var source = Source(Client("server.values", "Values", "a.W", "false"), Server);
        string[] files = ["server.yaml", "loop.yaml", "client.yaml"];
        var system = new SystemManifest
        {
            System = "s",
            Services = [.. files.Select(f => new SystemServiceEntry { Manifest = f })],
            Routes = [new RouteManifest { Client = "client", Endpoint = "server.values" }, new RouteManifest { Client = "client", Endpoint = "loop.commands" }],
        };

        var diagnostics = ManifestValidator.ValidateSystem(system, "system.yaml", files.Select(f => (ManifestLoader.LoadService(f, source).Manifest!, f)), Catalog());

        Assert.Equal("client.yaml: error: program.parameters.name: 'a.W' is not a value of endpoint 'server.values' of 'server' (test.server, server.yaml); allowed: one of a.X, a.Y, b.Z", Assert.Single(diagnostics).ToString());
    }

    private static string Client(string endpoint, string contract, string name, string sets) =>
        $"id: client\nkind: controller\nprogram:\n  type: test.client\n  parameters:\n    endpoint: {endpoint}\n    contract: {contract}\n    name: \"{name}\"\n    sets: {sets}\nendpoints:\n  uses: [server.values, loop.commands]\n";

    private static ManifestLoadResult Load(string client, string server = Server) =>
        ManifestLoader.LoadSystem("system.yaml", Source(client, server), Catalog());

    private static InMemoryManifestSource Source(string client, string server) =>
        new InMemoryManifestSource().Add("system.yaml", System).Add("server.yaml", server).Add("loop.yaml", Loop).Add("client.yaml", client);

    /// <summary>A server of named values, a loop that names nothing, a client whose parameters say what it expects, and a program that declares nothing.</summary>
    private static ProgramCatalog Catalog()
    {
        static IService None() => throw new NotSupportedException();
        static HashSet<string> Set(string list) => new(list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries), StringComparer.OrdinalIgnoreCase);
        var text = (string name) => ParameterDeclaration.Text(name, "test parameter");
        return new ProgramCatalog()
            .Add(new ProgramDescriptor("test.server", "serves named values", [text("endpoint"), text("names"), text("settable")], None)
            {
                Serves = static (p, _) => [new ServedContract(p.Text("endpoint"), "Values") { Names = Set(p.Text("names")), Settable = Set(p.Text("settable")), NamesHint = "one of " + p.Text("names"), SettableHint = "settable: " + p.Text("settable") }],
            })
            .Add(new ProgramDescriptor("test.loop", "serves a loop", [text("endpoint")], None)
            {
                Serves = static (p, _) => [new ServedContract(p.Text("endpoint"), "Loop")],
            })
            .Add(new ProgramDescriptor("test.silent", "serves without saying what", [text("endpoint"), text("names"), text("settable")], None))
            .Add(new ProgramDescriptor("test.client", "uses an endpoint", [text("endpoint"), text("contract"), text("name"), ParameterDeclaration.Boolean("sets", "sets the name", false)], None)
            {
                Uses = static (p, _) =>
                [
                    new ContractUse(p.Text("endpoint"), p.Text("contract"), "program.parameters.endpoint")
                    {
                        Name = p.Text("name") is { Length: > 0 } name ? name : null,
                        NamePath = "program.parameters.name",
                        Sets = p.Boolean("sets"),
                        MismatchHint = "try the other table",
                    },
                ],
            });
    }
}
