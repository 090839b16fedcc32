using Neokernel.Kernel.Manifests;
using Neokernel.Rt.Linux.Sandbox;

namespace Neokernel.Cli.Commands;

/// <summary>
/// The OS half of the least-privilege report: per isolated service, what its process would be
/// allowed by the OS under <c>neokernel run</c> on this machine (its user, capabilities, system
/// calls, files, network), from the same policy run applies. Services in the kernel's process
/// share whatever the kernel may do.
/// </summary>
internal static class AuditSandbox
{
    public static void Write(SystemDefinition system, SandboxUser user, string? stateDirectory, TextWriter output)
    {
        var command = Composition.ServiceHost();
        var settings = Composition.Sandbox(command, user);
        var storage = new Rt.Linux.Retain.LinuxRetainStorage(Composition.StateDirectory(stateDirectory, system));
        output.WriteLine("what the OS allows each service's process under run (sandbox on; --no-sandbox turns it off):");
        foreach (var spec in system.Services.Select(s => s.Spec))
        {
            string[] store = spec.Retain is { } retain ? [storage.DirectoryOf(retain)] : [];
            if (!spec.Isolated)
            {
                output.WriteLine($"  {spec.Id}: in the kernel's process, so whatever the kernel may do (isolated: false){(store.Length > 0 ? $"; its retain store: {store[0]}" : "")}");
                continue;
            }

            output.WriteLine($"  {spec.Id}:");
            foreach (var (layer, allows) in settings.PolicyFor(spec, realTime: true, store).Describe())
            {
                output.WriteLine($"    {layer}: {allows}");
            }
        }

        foreach (var missing in settings.Features.Missing())
        {
            output.WriteLine($"  on this machine: {missing}");
        }
    }
}
