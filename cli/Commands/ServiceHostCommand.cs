using System.Globalization;
using Neokernel.Hil;
using Neokernel.Rt.Linux.Isolation;

namespace Neokernel.Cli.Commands;

/// <summary>
/// <c>neokernel service-host --service ID --socket-fd N ...</c>: the process an isolated service
/// runs in. Started by <c>neokernel run</c>, not by people. It reads no manifest: the kernel sends
/// the service's spec with its grants over the socket it inherited.
/// </summary>
internal static class ServiceHostCommand
{
    public static int Execute(IReadOnlyList<string> args, TextWriter error)
    {
        var line = CommandLine.Parse(args, "no-rt");
        var serviceId = line.Option("service") ?? throw new UsageException("service-host needs --service ID");
        var socketFd = int.Parse(line.Option("socket-fd") ?? throw new UsageException("service-host needs --socket-fd N (the socket its kernel started it with)"), CultureInfo.InvariantCulture);
        var seed = line.Seed(1);
        var incarnation = int.Parse(line.Option("incarnation") ?? "1", CultureInfo.InvariantCulture);
        var originNs = long.Parse(line.Option("origin-ns") ?? throw new UsageException("service-host needs --origin-ns"), CultureInfo.InvariantCulture);
        var wallClock = line.Option("wall-clock-at-zero-unix-ns") is { } wall ? long.Parse(wall, CultureInfo.InvariantCulture) : (long?)null;
        var realTime = !line.Flag("no-rt");
        line.RejectPositional("service-host");
        line.RejectUnknown();
        var arguments = new ServiceHostArguments(serviceId, socketFd, seed, incarnation, originNs, realTime) { WallClockAtZeroUnixNs = wallClock };
        return ServiceHostChild.Run(Composition.Catalog(), arguments, SimulatedDeviceBus.Attached, error);
    }
}
