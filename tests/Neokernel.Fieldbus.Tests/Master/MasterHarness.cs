using Neokernel.Fieldbus.Modbus;
using Neokernel.Fieldbus.Modbus.Engine;
using Neokernel.Kernel.Devices;
using Neokernel.Rt.Simulation;
using Neokernel.Testing;

namespace Neokernel.Fieldbus.Tests.Master;

/// <summary>A simulation platform, a master on it, and helpers to run virtual time.</summary>
internal sealed class MasterHarness : IDisposable
{
    public const int Port = 1502;
    public const long Ms = 1_000_000;

    public MasterHarness(string uri = "modbus-tcp://127.0.0.1:1502?unit=1", ModbusMasterOptions? options = null, ulong seed = 7, Rt.Simulation.Faults.SimulationFaults? faults = null)
    {
        Platform = new SimulationPlatform(seed, new NoDevices(), faults);
        Loop = new PlatformModbusLoop(Platform);
        Uri = uri;
        Options = options ?? new ModbusMasterOptions { TimeoutNs = 100 * Ms, Retries = 0 };
    }

    public SimulationPlatform Platform { get; }

    public PlatformModbusLoop Loop { get; }

    public string Uri { get; }

    public ModbusMasterOptions Options { get; }

    public ModbusMaster? Master { get; private set; }

    public ModbusMaster Start()
    {
        Master = new ModbusMaster(Platform.Streams, DeviceUri.Parse(Uri), Loop, Options);
        Master.Start();
        return Master;
    }

    public void Run(long ns) => Platform.RunUntil(Platform.NowNs + ns);

    /// <summary>Runs until <paramref name="done"/> holds, at most <paramref name="limitNs"/> of virtual time.</summary>
    public void RunUntil(Func<bool> done, long limitNs = 10_000 * Ms)
    {
        var end = Platform.NowNs + limitNs;
        while (!done() && Platform.NowNs < end)
        {
            Platform.RunUntil(Math.Min(end, Platform.NowNs + Ms));
        }

        Assert.True(done(), $"not done after {limitNs / Ms} ms of virtual time");
    }

    public void Dispose() => Master?.Dispose();
}

/// <summary>Keeps every completion with the registers it carried.</summary>
internal sealed class Recorder : IModbusCompletion
{
    public List<(ModbusResult Result, ushort[] Registers, bool[] Bits)> Results { get; } = [];

    public void OnCompleted(in ModbusResult result, ReadOnlySpan<byte> data)
    {
        var registers = Array.Empty<ushort>();
        var bits = Array.Empty<bool>();
        if (result.Status == ModbusStatus.Good && result.Request.ResponseDataBytes > 0)
        {
            if (result.Request.Function is FunctionCode.ReadCoils or FunctionCode.ReadDiscreteInputs)
            {
                bits = new bool[result.Request.Count];
                ModbusValues.ReadBits(data, bits);
            }
            else
            {
                registers = new ushort[result.Request.Count];
                ModbusValues.ReadRegisters(data, registers);
            }
        }

        Results.Add((result, registers, bits));
    }
}

/// <summary>Keeps every poll result.</summary>
internal sealed class PollRecorder : IPollHandler
{
    public List<(long Ns, PollResult Result, ushort[] Registers)> Polls { get; } = [];

    public void OnPoll(ModbusPollGroup group, in PollResult result) =>
        Polls.Add((result.CompletedNs, result, group.Registers.ToArray()));
}
