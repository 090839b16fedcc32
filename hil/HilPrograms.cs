using Neokernel.Kernel.Services;

namespace Neokernel.Hil;

/// <summary>The hardware-in-the-loop programs (plant models and simulated field devices), for the host's catalog.</summary>
public static class HilPrograms
{
    public const string TankPlantType = "hil.tank-plant";
    public const string HeatedTankPlantType = "hil.heated-tank-plant";
    public const string JacketedTankPlantType = "hil.jacketed-tank-plant";
    public const string LevelSensorType = "hil.level-sensor";
    public const string PumpActuatorType = "hil.pump-actuator";
    public const string TankModbusPlantType = "hil.tank-modbus-plant";
    public const string SignalGeneratorType = "hil.signal-generator";

    public static ProgramCatalog AddHil(this ProgramCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return catalog
            .Add(new ProgramDescriptor(
                TankPlantType,
                "cylindrical tank plant model (pump in, Torricelli valve out, RK4) between a pump-command device and a level device",
                TankPlantService.Parameters,
                static () => new TankPlantService()))
            .Add(new ProgramDescriptor(
                HeatedTankPlantType,
                "heated tank plant model (first-order thermal with dead time, exact discretisation): heater command (%) from a region point, temperature (°C, optional noise and quantisation) into a region point",
                HeatedTankPlantService.Parameters,
                static () => new HeatedTankPlantService()))
            .Add(new ProgramDescriptor(
                JacketedTankPlantType,
                "jacketed tank plant model (jacket and contents, exact discretisation, dead time to the contents' sensor), the plant of a temperature cascade: heater command (%) from a region point, the contents' measured and the jacket's temperature (°C, optional noise and quantisation) into region points",
                JacketedTankPlantService.Parameters,
                static () => new JacketedTankPlantService()))
            .Add(new ProgramDescriptor(
                LevelSensorType,
                "level transmitter: true level from a device, plus noise and quantisation, clamped to its range, into a region point",
                LevelSensorService.Parameters,
                static () => new LevelSensorService()))
            .Add(new ProgramDescriptor(
                PumpActuatorType,
                "pump drive: command from a region point, safe output on bad input, clamp and slew limit, to a pump device",
                PumpActuatorService.Parameters,
                static () => new PumpActuatorService()))
            .Add(new ProgramDescriptor(
                TankModbusPlantType,
                "the tank plant model served as a Modbus TCP slave: level in input registers 0-1 (float32 m) and 2 (mm), pump command in holding register 0 (0.01 %), full flag in discrete input 0",
                TankModbusPlantService.Parameters,
                static () => new TankModbusPlantService())
            {
                Check = TankModbusPlantService.Check,
            })
            .Add(new ProgramDescriptor(
                SignalGeneratorType,
                "test signals for commissioning and benchmarks: sine, ramp, square, triangle or noise into every point of the regions it writes, shapes by point pattern or range in table signals, Good quality",
                SignalGeneratorService.Parameters,
                static () => new SignalGeneratorService())
            {
                Tables = [SignalGeneratorService.Signals],
                Check = SignalGeneratorService.Check,
            });
    }
}
