using System.Collections.Immutable;
using Neokernel.Fieldbus.Modbus.Mapping;
using Neokernel.Kernel.Devices;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Services;

namespace Neokernel.Fieldbus.Modbus.Driver;

/// <summary>
/// One point a slave driver serves: <see cref="Served"/> ones are read by masters from the served
/// region (raw = (value − offset) ÷ scale); the others are written by masters into the written
/// region (value = raw × scale + offset).
/// </summary>
public sealed record MapSetting(string Point, bool Served, ModbusTable Table, ushort Address, ModbusValueType Type, WordOrder Order, int Bit, double Scale, double Offset)
{
    /// <summary>Registers (or bits, in a bit table) the point occupies.</summary>
    public int Width => ModbusTables.IsBits(Table) || Type == ModbusValueType.Bit ? 1 : ModbusValueTypes.Registers(Type);
}

/// <summary>
/// The Modbus slave driver's configuration: the listening device (TCP) or serial line (RTU), the
/// unit, the two regions and its <c>map</c> table of points to addresses, typed and cross-checked
/// like the master's (<see cref="MasterDriverSettings"/>).
/// </summary>
public sealed record SlaveDriverSettings(string Device, int Unit, string ServedRegion, string WrittenRegion, long RefreshNs, long IdleTimeoutNs, ImmutableArray<MapSetting> Map)
{
    public static readonly string[] AccessWords = ["read", "write"];

    public static IReadOnlyList<ParameterDeclaration> Parameters { get; } =
    [
        ParameterDeclaration.RequiredText("device", "the listening device (tcp-listen://) or serial line (modbus-rtu://) it serves on"),
        ParameterDeclaration.Integer("unit", "the unit id it answers (-1: every unit, TCP only; RTU needs 1..247)", -1, min: -1, max: 247),
        ParameterDeclaration.Text("servedRegion", "region whose points masters read (the map's read rows; empty: none)"),
        ParameterDeclaration.Text("writtenRegion", "region masters' writes go into (the map's write rows; empty: none)"),
        ParameterDeclaration.Integer("refreshUs", "how often the served region is copied into the tables", 10_000, "µs", min: 1_000, max: 10_000_000),
        ParameterDeclaration.Integer("idleTimeoutMs", "a TCP master silent this long is disconnected", 60_000, "ms", min: 100, max: 3_600_000),
    ];

    public static TableDeclaration MapTable { get; } = new(
        "map",
        "points served at Modbus addresses: read rows from the served region, write rows into the written region",
        [
            ParameterDeclaration.RequiredText("point", "a point of the served region (read) or the written region (write)"),
            ParameterDeclaration.Text("access", "read (masters read it) or write (masters write it; coils and holding only)", "read"),
            ParameterDeclaration.RequiredText("table", "coils, discrete-inputs, holding or input"),
            ParameterDeclaration.Integer("address", "address, zero-based as on the wire", 0, min: 0, max: 65535),
            ParameterDeclaration.Text("type", "bit, int16, uint16, int32, uint32, float32 or float64 (bit for coils and discrete inputs)", "uint16"),
            ParameterDeclaration.Text("wordOrder", "high-first (ABCD) or low-first (CDAB)", "high-first"),
            ParameterDeclaration.Integer("bit", "for type bit in a register: which bit", 0, min: 0, max: 15),
            ParameterDeclaration.Number("scale", "value = raw * scale + offset", 1.0),
            ParameterDeclaration.Number("offset", "value = raw * scale + offset", 0.0),
        ])
    {
        RowsMin = 1,
        RowsMax = 512,
    };

    public static IReadOnlyList<TableDeclaration> Tables { get; } = [MapTable];

    public static SlaveDriverSettings From(string serviceId, ProgramParameters parameters)
    {
        var problems = new List<ProgramProblem>();
        var settings = Read(parameters, problems);
        ModbusRowRules.ThrowFirst(serviceId, problems);
        return settings;
    }

    public static IEnumerable<ProgramProblem> Check(ProgramParameters parameters, ServiceManifest service)
    {
        ArgumentNullException.ThrowIfNull(service);
        var problems = new List<ProgramProblem>();
        var settings = Read(parameters, problems);
        if (ProgramChecks.Device(service, settings.Device, problems) is ({ } device, { } address))
        {
            if (address.Transport != DeviceTransport.TcpListen && address.Scheme != DeviceScheme.ModbusRtu)
            {
                problems.Add(new("parameters.device", $"device '{device.Name}' is {device.Uri}: a slave listens or owns a serial line", "a tcp-listen:// or modbus-rtu:// device"));
            }
            else if (address.Scheme == DeviceScheme.ModbusRtu && settings.Unit < 1)
            {
                problems.Add(new("parameters.unit", "an RTU slave answers one address", "1..247"));
            }
        }

        CheckRegion(service, settings.ServedRegion, null, "parameters.servedRegion", settings.Map, served: true, problems);
        CheckRegion(service, settings.WrittenRegion, "write", "parameters.writtenRegion", settings.Map, served: false, problems);
        return problems;
    }

    private static SlaveDriverSettings Read(ProgramParameters parameters, List<ProgramProblem> problems)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var rows = parameters.Table(MapTable.Name);
        var map = ImmutableArray.CreateBuilder<MapSetting>(rows.Length);
        var claimed = new Dictionary<(int Unit, ModbusTable Table, int Address), int>();
        for (var i = 0; i < rows.Length; i++)
        {
            var row = rows[i];
            var path = $"tables.map[{i}]";
            var isServed = row.Text("access") != "write";
            if (Array.IndexOf(AccessWords, row.Text("access")) < 0)
            {
                problems.Add(new($"{path}.access", $"unknown access '{row.Text("access")}'", string.Join(", ", AccessWords)));
            }

            var tableIndex = Array.IndexOf(MasterDriverSettings.TableWords, row.Text("table"));
            var table = tableIndex < 0 ? ModbusTable.HoldingRegisters : (ModbusTable)tableIndex;
            if (tableIndex < 0)
            {
                problems.Add(new($"{path}.table", $"unknown table '{row.Text("table")}'", string.Join(", ", MasterDriverSettings.TableWords)));
            }
            else if (!isServed && !ModbusTables.IsWritable(table))
            {
                problems.Add(new($"{path}.table", $"masters cannot write {row.Text("table")}", "coils or holding for access write"));
            }

            var (type, order) = ModbusRowRules.TypeWords(row, path, problems);
            if (ModbusTables.IsBits(table) && type != ModbusValueType.Bit && ModbusValueTypes.TryParse(row.Text("type"), out _))
            {
                problems.Add(new($"{path}.type", $"a bit table holds bits, not {row.Text("type")}", "bit"));
            }

            ModbusRowRules.CheckScale(row.Number("scale"), path, problems);

            var setting = new MapSetting(row.Text("point"), isServed, table, (ushort)row.Integer("address"), type, order, (int)row.Integer("bit"), row.Number("scale"), row.Number("offset"));
            if (setting.Address + setting.Width > 65536)
            {
                problems.Add(new($"{path}.address", $"a {ModbusValueTypes.Word(type)} at {setting.Address} runs past 65535", $"at most {65536 - setting.Width}"));
            }
            else
            {
                // One unit: a slave serves its tables under one address.
                var bit = setting.Type == ModbusValueType.Bit && !ModbusTables.IsBits(setting.Table) ? setting.Bit : -1;
                ModbusRowRules.Claim(claimed, 0, setting.Table, setting.Address, setting.Width, bit, path, "mapped by another row", "each register (or bit of one) mapped once", problems);
            }

            map.Add(setting);
        }

        var served = map.Any(m => m.Served);
        var written = map.Any(m => !m.Served);
        if (served && parameters.Text("servedRegion").Length == 0)
        {
            problems.Add(new("parameters.servedRegion", "the map has read rows but no served region is named", "the region those points are read from"));
        }

        if (written && parameters.Text("writtenRegion").Length == 0)
        {
            problems.Add(new("parameters.writtenRegion", "the map has write rows but no written region is named", "the region masters' writes go into"));
        }

        return new SlaveDriverSettings(
            parameters.Text("device"),
            (int)parameters.Integer("unit"),
            parameters.Text("servedRegion"),
            parameters.Text("writtenRegion"),
            parameters.Integer("refreshUs") * 1_000,
            parameters.Integer("idleTimeoutMs") * 1_000_000,
            map.ToImmutable());
    }

    private static void CheckRegion(ServiceManifest service, string regionName, string? access, string path, ImmutableArray<MapSetting> map, bool served, List<ProgramProblem> problems)
    {
        if (regionName.Length == 0)
        {
            return;
        }

        var region = service.Regions.FirstOrDefault(r => r.Name == regionName);
        if (region is null || (access is not null && region.Access != access))
        {
            problems.Add(new(path, region is null ? $"region '{regionName}' is not in this service's regions" : $"this service has region '{regionName}' for {region.Access}, not {access}", string.Join(", ", service.Regions.Select(r => r.Name))));
            return;
        }

        if (region.Points.Count == 0)
        {
            return;
        }

        for (var i = 0; i < map.Length; i++)
        {
            if (map[i].Served == served && !region.Points.Contains(map[i].Point))
            {
                problems.Add(new($"tables.map[{i}].point", $"region '{regionName}' has no point '{map[i].Point}' in this service's manifest", string.Join(", ", region.Points)));
            }
        }
    }
}
