using Neokernel.Fieldbus.Modbus.Driver;
using Neokernel.Kernel.Services;

namespace Neokernel.Fieldbus;

/// <summary>The fieldbus driver programs, for the host's catalog.</summary>
public static class FieldbusPrograms
{
    public const string ModbusMasterType = "fieldbus.modbus-master";
    public const string ModbusSlaveType = "fieldbus.modbus-slave";

    public static ProgramCatalog AddFieldbus(this ProgramCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return catalog
            .Add(new ProgramDescriptor(
            ModbusMasterType,
            "Modbus TCP or RTU master: poll groups into points of its output region (raw to engineering units, Bad on failure, Uncertain when stale), points of its input region written on change or cyclically",
            MasterDriverSettings.Parameters,
            static () => new ModbusMasterDriver())
        {
            Tables = MasterDriverSettings.Tables,
            Check = MasterDriverSettings.Check,
        })
            .Add(new ProgramDescriptor(
                ModbusSlaveType,
                "Modbus TCP or RTU slave whose tables are process-image points declared in its map: read rows from its served region, write rows into its written region (02 for any other address)",
                SlaveDriverSettings.Parameters,
                static () => new ModbusSlaveDriver())
            {
                Tables = SlaveDriverSettings.Tables,
                Check = SlaveDriverSettings.Check,
            });
    }
}
