using System.Diagnostics;
using Neokernel.Fieldbus.Modbus;
using Neokernel.Fieldbus.Modbus.Engine;
using Neokernel.Kernel.Devices;
using Neokernel.Rt.Linux;
using Neokernel.Testing;

namespace Neokernel.Interop.Tests.Support;

/// <summary>Our master on the paced real-time loop, driven request by request from a test.</summary>
internal sealed class PacedMaster : IDisposable, IModbusCompletion
{
    private ModbusResult? last;
    private byte[] lastData = [];

    public PacedMaster(string uri, ModbusMasterOptions? options = null)
    {
        Platform = new PacedPlatform(1, new NoDevices());
        Master = new ModbusMaster(Platform.Streams, DeviceUri.Parse(uri), new PlatformModbusLoop(Platform), options ?? new ModbusMasterOptions { TimeoutNs = 1_000_000_000, Retries = 1 });
        Master.Start();
    }

    public PacedPlatform Platform { get; }

    public ModbusMaster Master { get; }

    /// <summary>Sends one request and runs the loop until it ends.</summary>
    public (ModbusResult Result, byte[] Data) Do(byte unit, in ModbusRequest request, ReadOnlySpan<byte> data = default)
    {
        last = null;
        var submitted = Master.Submit(unit, request, data, this);
        Assert.Equal(SubmitResult.Queued, submitted);
        RunWhile(() => last is null, TimeSpan.FromSeconds(30));
        return (last!.Value, lastData);
    }

    /// <summary>Sends one request that must succeed; returns its data.</summary>
    public byte[] Good(byte unit, in ModbusRequest request, ReadOnlySpan<byte> data = default)
    {
        var (result, reply) = Do(unit, request, data);
        Assert.True(result.Status == ModbusStatus.Good, $"{request.Function} to unit {unit}: {result.Status} {result.Exception} {result.Error}");
        return reply;
    }

    public ushort[] Registers(byte unit, in ModbusRequest request)
    {
        var data = Good(unit, request);
        var registers = new ushort[request.Count];
        ModbusValues.ReadRegisters(data, registers);
        return registers;
    }

    public bool[] Bits(byte unit, in ModbusRequest request)
    {
        var data = Good(unit, request);
        var bits = new bool[request.Count];
        ModbusValues.ReadBits(data, bits);
        return bits;
    }

    public void RunWhile(Func<bool> condition, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (condition() && clock.Elapsed < limit)
        {
            Platform.RunUntil(Platform.NowNs + 5_000_000);
        }

        Assert.False(condition(), $"still waiting after {limit.TotalSeconds} s");
    }

    public void RunFor(TimeSpan span)
    {
        var end = Platform.NowNs + (long)(span.TotalMilliseconds * 1_000_000);
        while (Platform.NowNs < end)
        {
            Platform.RunUntil(Math.Min(end, Platform.NowNs + 5_000_000));
        }
    }

    public void OnCompleted(in ModbusResult result, ReadOnlySpan<byte> data)
    {
        last = result;
        lastData = data.ToArray();
    }

    public void Dispose()
    {
        Master.Dispose();
        Platform.Dispose();
    }
}

/// <summary>Keeps every poll result with its wall time.</summary>
internal sealed class PollLog : IPollHandler
{
    public List<PollResult> Results { get; } = [];

    public void OnPoll(ModbusPollGroup group, in PollResult result) => Results.Add(result);
}
