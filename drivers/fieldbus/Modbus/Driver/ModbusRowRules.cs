using Neokernel.Fieldbus.Modbus.Mapping;
using Neokernel.Kernel.Devices;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Services;

namespace Neokernel.Fieldbus.Modbus.Driver;

/// <summary>
/// What the master's and the slave's driver settings check alike: a
/// row's type and word order, its scale, and that each register (or bit of one) belongs to one row.
/// Each adds a <see cref="ProgramProblem"/> for what it finds.
/// </summary>
internal static class ModbusRowRules
{
    /// <summary>For a spec never validated (built in code): the first problem, as a configuration error.</summary>
    public static void ThrowFirst(string serviceId, List<ProgramProblem> problems)
    {
        if (problems.Count > 0)
        {
            throw new ServiceConfigurationException(serviceId, problems[0].Path, $"{problems[0].Problem}; allowed: {problems[0].Allowed}");
        }
    }

    public static (ModbusValueType Type, WordOrder Order) TypeWords(ProgramParameters row, string path, List<ProgramProblem> problems)
    {
        if (!ModbusValueTypes.TryParse(row.Text("type"), out var type))
        {
            problems.Add(new($"{path}.type", $"unknown type '{row.Text("type")}'", string.Join(", ", ModbusValueTypes.Words)));
        }

        if (!ModbusValueTypes.TryParseWordOrder(row.Text("wordOrder"), out var order))
        {
            problems.Add(new($"{path}.wordOrder", $"unknown word order '{row.Text("wordOrder")}'", string.Join(", ", ModbusValueTypes.WordOrderWords)));
        }

        return (type, order);
    }

    public static void CheckScale(double scale, string path, List<ProgramProblem> problems)
    {
        if (scale == 0)
        {
            problems.Add(new($"{path}.scale", "a scale of 0 loses the value", "any number but 0"));
        }
    }

    /// <summary>
    /// Claims <paramref name="width"/> registers from <paramref name="address"/> of one unit's table
    /// for a row: all of each register, or only <paramref name="bit"/> of it (−1: the whole). A
    /// register, or bit of one, another row holds is a problem at the row's address.
    /// </summary>
    public static void Claim(Dictionary<(int Unit, ModbusTable Table, int Address), int> claimed, int unit, ModbusTable table, int address, int width, int bit, string path, string byAnother, string allowed, List<ProgramProblem> problems)
    {
        var need = bit >= 0 ? 1 << bit : 0xFFFF;
        for (var r = 0; r < width; r++)
        {
            var key = (unit, table, address + r);
            var held = claimed.GetValueOrDefault(key);
            if ((held & need) != 0)
            {
                problems.Add(new($"{path}.address", $"{MasterDriverSettings.TableWords[(int)table]} {address + r} is also {byAnother}", allowed));
                return;
            }

            claimed[key] = held | need;
        }
    }
}
