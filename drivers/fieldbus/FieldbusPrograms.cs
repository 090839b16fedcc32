using Neokernel.Fieldbus.Modbus.Driver;
using Neokernel.Kernel.Services;

namespace Neokernel.Fieldbus;

/// <summary>The fieldbus driver programs, for the host's catalog.</summary>
public static class FieldbusPrograms
{
    public const string ModbusMasterType = "fieldbus.modbus-master";

    public static ProgramCatalog AddFieldbus(this ProgramCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return catalog.Add(new ProgramDescriptor(
            ModbusMasterType,
            "Modbus TCP or RTU master: poll groups into points of its output region (raw to engineering units, Bad on failure, Uncertain when stale), points of its input region written on change or cyclically",
            MasterDriverSettings.Parameters,
            static () => new ModbusMasterDriver())
        {
            Tables = MasterDriverSettings.Tables,
            Check = MasterDriverSettings.Check,
        });
    }
}
