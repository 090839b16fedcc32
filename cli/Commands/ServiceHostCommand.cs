using System.Globalization;
using Neokernel.Hil;
using Neokernel.Rt.Linux.Isolation;

namespace Neokernel.Cli.Commands;

/// <summary>
/// <c>neokernel service-host --service ID --socket PATH ...</c>: the process an isolated service
/// runs in. Started by <c>neokernel run</c>, not by people. It reads no manifest: the kernel sends
/// the service's spec with its grants over the socket.
/// </summary>
internal static class ServiceHostCommand
{
    public static int Execute(IReadOnlyList<string> args, TextWriter error)
    {
        var line = CommandLine.Parse(args, "no-rt");
        var serviceId = line.Option("service") ?? throw new UsageException("service-host needs --service ID");
        var socketPath = line.Option("socket") ?? throw new UsageException("service-host needs --socket PATH");
        var seed = line.Seed(1);
        var incarnation = int.Parse(line.Option("incarnation") ?? "1", CultureInfo.InvariantCulture);
        var originNs = long.Parse(line.Option("origin-ns") ?? throw new UsageException("service-host needs --origin-ns"), CultureInfo.InvariantCulture);
        var realTime = !line.Flag("no-rt");
        line.RejectPositional("service-host");
        line.RejectUnknown();
        var arguments = new ServiceHostArguments(serviceId, socketPath, seed, incarnation, originNs, realTime);
        return ServiceHostChild.Run(Composition.Catalog(), arguments, SimulatedDeviceBus.Attached, error);
    }
}
