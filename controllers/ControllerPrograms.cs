using Neokernel.Kernel.Services;

namespace Neokernel.Controllers;

/// <summary>The controller programs, for the host to add to its catalog.</summary>
public static class ControllerPrograms
{
    public const string PidType = "controllers.pid";
    public const string OperatorScriptType = "controllers.operator-script";
    public const string BlocksType = "controllers.blocks";

    public static ProgramCatalog AddControllers(this ProgramCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return catalog
            .Add(new ProgramDescriptor(
                PidType,
                "PID loop (ISA or parallel form, setpoint weights, back-calculation or clamping anti-windup, output and rate limits, modes with bumpless transfer, relay auto-tuning) from a region point to a region point, with an optional command endpoint",
                PidServiceSettings.Parameters,
                static () => new PidService())
            {
                Check = PidServiceSettings.Check,
                Serves = PidServiceSettings.Serves,
            })
            .Add(new ProgramDescriptor(
                OperatorScriptType,
                "scripted operator: sends one setpoint step to a controller's command endpoint at a given time after start",
                OperatorScriptService.Parameters,
                static () => new OperatorScriptService())
            {
                Uses = OperatorScriptService.Uses,
            })
            .Add(new ProgramDescriptor(
                BlocksType,
                "block network: IEC 61131-3 and process blocks and PID loops (docs/BLOCKS.md) wired between region points in the manifest's tables, evaluated once a period in dependency order, with values operators set through a command endpoint and values a retain store keeps",
                Blocks.BlockNetworkManifest.Parameters,
                static () => new BlockNetworkService())
            {
                Tables = [Blocks.BlockNetworkManifest.Blocks, Blocks.BlockNetworkManifest.Outputs],
                Check = Blocks.BlockNetworkManifest.Check,
                Serves = Blocks.BlockNetworkManifest.Serves,
            });
    }
}
