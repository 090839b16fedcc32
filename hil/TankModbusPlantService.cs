using Neokernel.Fieldbus.Modbus.Engine;
using Neokernel.Fieldbus.Modbus;
using Neokernel.Fieldbus.Modbus.Mapping;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Services;

namespace Neokernel.Hil;

/// <summary>
/// Where the tank plant keeps its values as a Modbus slave: what a master (the driver, mbpoll,
/// SCADA) reads and writes. Zero-based addresses, as on the wire.
/// </summary>
public static class TankModbusMap
{
    /// <summary>Input registers 0-1: the true level, float32 m, high word first.</summary>
    public const int LevelFloatRegister = 0;

    /// <summary>Input register 2: the true level in whole millimetres (uint16), for masters without floats.</summary>
    public const int LevelMillimetresRegister = 2;

    /// <summary>Holding register 0: the pump command in hundredths of a percent (0..10000).</summary>
    public const int PumpCommandRegister = 0;

    /// <summary>Discrete input 0: the tank is full (the level within 1 mm of the top).</summary>
    public const int FullInput = 0;

    public const int InputRegisters = 3;
    public const int HoldingRegisters = 1;
    public const int DiscreteInputs = 1;

    /// <summary>Pump command units per percent in <see cref="PumpCommandRegister"/>.</summary>
    public const double PumpUnitsPerPercent = 100.0;
}

/// <summary>
/// Program <c>hil.tank-modbus-plant</c>: the tank model of <see cref="TankPlantService"/> served as
/// a Modbus TCP slave (<see cref="TankModbusMap"/>) on the listening device <c>port</c>. Every period
/// it reads the pump command a master last wrote, steps the model and publishes the level. A master
/// cannot tell it from a PLC's remote I/O; under <c>sim</c> it listens on the virtual network. A
/// command beyond 100 % (the register holds up to 655.35 %) counts as 100 %, as a drive clamps it.
/// </summary>
public sealed class TankModbusPlantService : IService
{
    public static readonly IReadOnlyList<ParameterDeclaration> Parameters =
    [
        .. TankPlantService.Parameters.Where(p => p.Name is not ("pumpDevice" or "levelDevice")),
        ParameterDeclaration.Text("port", "the listening device (tcp-listen://) the slave serves on", "port"),
        ParameterDeclaration.Integer("unit", "the unit id it answers (it also answers 0 and 255, as TCP slaves do); -1: every unit", 1, min: -1, max: 247),
        ParameterDeclaration.Integer("idleTimeoutMs", "a master silent this long is disconnected", 60_000, "ms", min: 100, max: 3_600_000),
    ];

    private Running? running;

    /// <summary>The model, once started: for diagnostics and tests.</summary>
    public TankModel? Model => running?.Model;

    /// <summary>Unit 0 is broadcast, which a slave never is.</summary>
    public static IEnumerable<ProgramProblem> Check(ProgramParameters parameters, Kernel.Manifests.ServiceManifest service)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (parameters.Integer("unit") == 0)
        {
            yield return new ProgramProblem("parameters.unit", "unit 0 is the broadcast address, not a slave's", "1..247, or -1 for every unit");
        }
    }

    /// <summary>The slave's counters, once started.</summary>
    public ModbusSlaveCounters? Counters => running?.Slave.Counters;

    public void Start(IServiceContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var tankParameters = TankPlantService.ReadParameters(context.Parameters);
        var model = ServiceSettings.Checked(context, () => new TankModel(tankParameters));
        var periodSeconds = ServiceSettings.PeriodSeconds(context);
        var map = new ModbusRegisterMap(0, TankModbusMap.DiscreteInputs, TankModbusMap.HoldingRegisters, TankModbusMap.InputRegisters);
        var streams = ServiceStreams.For(context, context.Parameters.Text("port"));
        var unit = (int)context.Parameters.Integer("unit");
        var slave = new ModbusTcpSlave(
            new ModbusSlave(map, new ModbusDeviceIdentity("Neokernel", "tank-plant", "1.0")),
            streams,
            streams.Address,
            new ServiceModbusLoop(context),
            context.Parameters.Integer("idleTimeoutMs") * 1_000_000,
            unit);
        var state = new Running(model, map, slave, periodSeconds);
        state.Publish();
        slave.Start();
        running = state;
        state.Task = context.StartCyclic(state);
    }

    public void Stop()
    {
        if (running is { } state)
        {
            state.Task?.Stop();
            state.Slave.Dispose();
        }

        running = null;
    }

    private sealed class Running(TankModel model, ModbusRegisterMap map, ModbusTcpSlave slave, double periodSeconds) : ICyclicBody
    {
        private readonly ushort[] level = new ushort[2];

        public TankModel Model { get; } = model;

        public ModbusTcpSlave Slave { get; } = slave;

        public ICyclicTaskHandle? Task { get; set; }

        public void Execute(in CycleInfo cycle)
        {
            Model.PumpPercent = Math.Min(map.HoldingRegister(TankModbusMap.PumpCommandRegister) / TankModbusMap.PumpUnitsPerPercent, 100.0);
            Model.Step(periodSeconds);
            Publish();
        }

        /// <summary>The level into the input registers and the full flag into the discrete input.</summary>
        public void Publish()
        {
            var meters = Model.LevelMeters;
            ModbusValueTypes.Encode(meters, ModbusValueType.Float32, WordOrder.HighFirst, level);
            map.SetInputRegister(TankModbusMap.LevelFloatRegister, level[0]);
            map.SetInputRegister(TankModbusMap.LevelFloatRegister + 1, level[1]);
            map.SetInputRegister(TankModbusMap.LevelMillimetresRegister, (ushort)Math.Clamp(Math.Round(meters * 1000.0), 0, ushort.MaxValue));
            map.SetDiscreteInput(TankModbusMap.FullInput, meters >= Model.Parameters.HeightMeters - 0.001);
        }
    }
}
