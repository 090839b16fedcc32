using Neokernel.Fieldbus.Modbus.Engine;
using Neokernel.Kernel.Devices;
using Neokernel.Rt.Linux;
using Neokernel.Testing;

namespace Neokernel.Interop.Tests.Support;

/// <summary>
/// Our slave, in this process, on a <see cref="PacedPlatform"/> whose loop runs on a thread of its
/// own over real sockets or a real tty, so a peer process talks to it as to any slave. The map is
/// filled before the loop starts; counters are read from the test's thread while it runs.
/// </summary>
public sealed class InProcessSlave : IDisposable
{
    public const int Points = 10_000;

    private readonly CancellationTokenSource stop = new();
    private readonly ManualResetEventSlim ready = new();
    private readonly Thread thread;
    private Exception? failure;
    private ModbusTcpSlave? tcp;
    private ModbusRtuSlave? rtu;

    private InProcessSlave(Func<PacedPlatform, ModbusSlave, IDisposable> start)
    {
        Map = new ModbusRegisterMap(Points);
        Map.SetInputRegister(3, 4242);
        Map.SetDiscreteInput(2, true);
        Slave = new ModbusSlave(Map);
        thread = new Thread(() => Run(start)) { IsBackground = true, Name = "modbus-slave-loop" };
        thread.Start();
        if (!ready.Wait(TimeSpan.FromSeconds(10)) || failure is not null)
        {
            throw new InvalidOperationException("the in-process slave did not start", failure);
        }
    }

    public ModbusRegisterMap Map { get; }

    public ModbusSlave Slave { get; }

    public ModbusSlaveCounters Counters => Slave.Counters;

    /// <summary>The TCP port it listens on (TCP slaves only).</summary>
    public int Port { get; private init; }

    public ModbusTcpSlave TcpSlave => tcp ?? throw new InvalidOperationException("not a TCP slave");

    public ModbusRtuSlave RtuSlave => rtu ?? throw new InvalidOperationException("not an RTU slave");

    /// <summary>A TCP slave on 127.0.0.1 at a free port, answering every unit id.</summary>
    public static InProcessSlave Tcp(int connectionsMax = 8, long idleTimeoutNs = ModbusTcpSlave.IdleTimeoutNsDefault)
    {
        var port = Peers.FreePort();
        return new InProcessSlave((platform, slave) =>
            new ModbusTcpSlave(slave, platform.Streams, DeviceUri.Parse($"tcp-listen://127.0.0.1:{port}?connectionsMax={connectionsMax}"), new PlatformModbusLoop(platform), idleTimeoutNs))
        {
            Port = port,
        };
    }

    /// <summary>An RTU slave on the tty at <paramref name="path"/> (one end of a <see cref="SocatPair"/>), 19200 baud, 8 data bits, 1 stop bit.</summary>
    public static InProcessSlave Rtu(string path, byte unit, char parity = 'E')
    {
        return new InProcessSlave((platform, slave) =>
            new ModbusRtuSlave(slave, platform.Streams, DeviceUri.Parse($"modbus-rtu://{path}?baud=19200&parity={parity}&unit={unit}"), new PlatformModbusLoop(platform), unit));
    }

    public void Dispose()
    {
        stop.Cancel();
        thread.Join(TimeSpan.FromSeconds(10));
        stop.Dispose();
        ready.Dispose();
    }

    private void Run(Func<PacedPlatform, ModbusSlave, IDisposable> start)
    {
        using var platform = new PacedPlatform(1, new NoDevices());
        IDisposable engine;
        try
        {
            engine = start(platform, Slave);
            if (engine is ModbusTcpSlave tcpEngine)
            {
                tcp = tcpEngine;
                tcpEngine.Start();
            }
            else if (engine is ModbusRtuSlave rtuEngine)
            {
                rtu = rtuEngine;
                rtuEngine.Start();
            }
        }
        catch (Exception exception)
        {
            // Whatever stops the slave from starting fails the test that asked for it, not the test host.
            failure = exception;
            ready.Set();
            return;
        }

        using (engine)
        {
            ready.Set();
            platform.RunUntil(long.MaxValue, stop.Token);
        }
    }
}
