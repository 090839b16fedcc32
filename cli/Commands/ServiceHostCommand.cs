using System.Globalization;
using Neokernel.Hil;
using Neokernel.Rt.Linux.Isolation;

namespace Neokernel.Cli.Commands;

/// <summary>
/// <c>neokernel service-host SYSTEM --service ID --socket-fd N ...</c>: the process an isolated
/// service runs in. Started by <c>neokernel run</c>, not by people.
/// </summary>
internal static class ServiceHostCommand
{
    public static int Execute(IReadOnlyList<string> args, TextWriter error)
    {
        var line = CommandLine.Parse(args, "no-rt");
        var path = SimCommand.SinglePath(line, "service-host");
        var serviceId = line.Option("service") ?? throw new UsageException("service-host needs --service ID");
        var socketFd = int.Parse(line.Option("socket-fd") ?? throw new UsageException("service-host needs --socket-fd N (the socket its kernel started it with)"), CultureInfo.InvariantCulture);
        var seed = line.Seed(1);
        var incarnation = int.Parse(line.Option("incarnation") ?? "1", CultureInfo.InvariantCulture);
        var originNs = long.Parse(line.Option("origin-ns") ?? throw new UsageException("service-host needs --origin-ns"), CultureInfo.InvariantCulture);
        var realTime = !line.Flag("no-rt");
        line.RejectUnknown();
        var catalog = Composition.Catalog();
        var system = Composition.LoadSystem(path, catalog, error);
        if (system is null)
        {
            return 1;
        }

        var arguments = new ServiceHostArguments(serviceId, socketFd, seed, incarnation, originNs, realTime);
        return ServiceHostChild.Run(system, catalog, arguments, SimulatedDeviceBus.Attached, error);
    }
}
