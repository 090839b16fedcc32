using System.Collections.Immutable;
using Neokernel.Fieldbus.Modbus.Mapping;
using Neokernel.Kernel.Devices;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Services;

namespace Neokernel.Fieldbus.Modbus.Driver;

/// <summary>When an output is written: when its point changes (and again every period if one is set), or every period.</summary>
public enum OutputMode : byte
{
    OnChange,
    Cyclic,
}

/// <summary>One poll group: a range of one table of one unit, read every <see cref="PeriodNs"/>.</summary>
public sealed record PollSetting(string Name, int Unit, ModbusTable Table, ushort Address, ushort Count, long PeriodNs);

/// <summary>
/// One point the driver writes into its output region from a poll: the raw value at
/// <see cref="Index"/> (register or bit index inside the poll), as <see cref="Type"/>, then
/// <c>engineering = raw * Scale + Offset</c>.
/// </summary>
public sealed record InputSetting(string Point, int Poll, int Index, ModbusValueType Type, WordOrder Order, int Bit, double Scale, double Offset);

/// <summary>
/// One point the driver reads from its input region and writes to the slave:
/// <c>raw = (engineering - Offset) / Scale</c>, as <see cref="Type"/>, at <see cref="Address"/>.
/// A bit of a holding register is written with FC22 (mask write), leaving the other bits alone.
/// </summary>
public sealed record OutputSetting(string Point, int Unit, ModbusTable Table, ushort Address, ModbusValueType Type, WordOrder Order, int Bit, double Scale, double Offset, OutputMode Mode, long PeriodNs);

/// <summary>
/// The Modbus master driver's configuration: its parameters and its three tables (polls, inputs,
/// outputs), typed and cross-checked. <see cref="Check"/> is what <c>validate</c> runs, with the
/// manifest at hand; <see cref="From"/> reads the same at start and throws for the first problem
/// (which only a manifest built in code, never validated, can have).
/// </summary>
public sealed record MasterDriverSettings(
    string Device,
    string OutputRegion,
    string InputRegion,
    long TimeoutNs,
    int Retries,
    int Pipeline,
    int StalePolls,
    long ReconnectInitialNs,
    long ReconnectMaxNs,
    ImmutableArray<PollSetting> Polls,
    ImmutableArray<InputSetting> Inputs,
    ImmutableArray<OutputSetting> Outputs)
{
    /// <summary>A unit column left at this means the unit of the device URI.</summary>
    public const int DeviceUnit = -1;

    public static readonly string[] TableWords = ["coils", "discrete-inputs", "holding", "input"];

    public static readonly string[] ModeWords = ["on-change", "cyclic"];

    public static IReadOnlyList<ParameterDeclaration> Parameters { get; } =
    [
        ParameterDeclaration.RequiredText("device", "the Modbus device (modbus-tcp:// or modbus-rtu://) of this service's devices"),
        ParameterDeclaration.Text("outputRegion", "region this service writes the inputs table's points into (empty: none)"),
        ParameterDeclaration.Text("inputRegion", "region this service reads the outputs table's points from (empty: none)"),
        ParameterDeclaration.Integer("timeoutMs", "how long a request waits for its reply", 1000, "ms", min: 1, max: 60_000),
        ParameterDeclaration.Integer("retries", "times a timed-out request is sent again", 1, min: 0, max: 10),
        ParameterDeclaration.Integer("pipeline", "requests in flight on one TCP connection (1: one at a time; RTU always 1)", 1, min: 1, max: 16),
        ParameterDeclaration.Integer("stalePolls", "polls in a row without fresh data after which a poll's points read Uncertain", 3, min: 1, max: 1000),
        ParameterDeclaration.Integer("reconnectInitialMs", "first wait before reconnecting a lost link; it doubles", 100, "ms", min: 1, max: 60_000),
        ParameterDeclaration.Integer("reconnectMaxMs", "longest wait between reconnects", 5000, "ms", min: 1, max: 600_000),
    ];

    public static TableDeclaration PollsTable { get; } = new(
        "polls",
        "poll groups: a range of one table of one unit, read on its own period",
        [
            ParameterDeclaration.RequiredText("name", "the group's name, for the inputs table"),
            ParameterDeclaration.Integer("unit", "unit id (-1: the device URI's unit)", DeviceUnit, min: DeviceUnit, max: 255),
            ParameterDeclaration.RequiredText("table", "coils, discrete-inputs, holding or input"),
            ParameterDeclaration.Integer("address", "first address, zero-based as on the wire", 0, min: 0, max: 65535),
            ParameterDeclaration.Integer("count", "points read (at most 2000 bits or 125 registers)", 1, min: 1, max: ModbusLimits.ReadBitsCountMax),
            ParameterDeclaration.Integer("periodUs", "poll period", 100_000, "µs", min: 1_000, max: 3_600_000_000),
        ])
    {
        RowsMin = 0,

        // Each group holds a timer and a request slot of the service's 64 timers (ModbusMasterDriver.QueueCapacity).
        RowsMax = 24,
    };

    public static TableDeclaration InputsTable { get; } = new(
        "inputs",
        "points written into the output region from polls",
        [
            ParameterDeclaration.RequiredText("point", "a point of the output region"),
            ParameterDeclaration.RequiredText("poll", "the poll group it comes from"),
            ParameterDeclaration.Integer("index", "register or bit index inside the poll group", 0, min: 0, max: ModbusLimits.ReadBitsCountMax - 1),
            ParameterDeclaration.Text("type", "bit, int16, uint16, int32, uint32, float32 or float64 (bit for coils and discrete inputs)", "uint16"),
            ParameterDeclaration.Text("wordOrder", "high-first (ABCD, the Modbus convention) or low-first (CDAB)", "high-first"),
            ParameterDeclaration.Integer("bit", "for type bit in a register: which bit (0: least significant)", 0, min: 0, max: 15),
            ParameterDeclaration.Number("scale", "engineering value = raw * scale + offset", 1.0),
            ParameterDeclaration.Number("offset", "engineering value = raw * scale + offset", 0.0),
        ])
    {
        RowsMin = 0,
        RowsMax = 512,
    };

    public static TableDeclaration OutputsTable { get; } = new(
        "outputs",
        "points read from the input region and written to the slave",
        [
            ParameterDeclaration.RequiredText("point", "a point of the input region"),
            ParameterDeclaration.Integer("unit", "unit id (-1: the device URI's unit; 0: broadcast)", DeviceUnit, min: DeviceUnit, max: 255),
            ParameterDeclaration.RequiredText("table", "coils or holding"),
            ParameterDeclaration.Integer("address", "address, zero-based as on the wire", 0, min: 0, max: 65535),
            ParameterDeclaration.Text("type", "bit, int16, uint16, int32, uint32, float32 or float64 (bit for coils)", "uint16"),
            ParameterDeclaration.Text("wordOrder", "high-first (ABCD) or low-first (CDAB)", "high-first"),
            ParameterDeclaration.Integer("bit", "for type bit in a holding register: which bit (written with FC22)", 0, min: 0, max: 15),
            ParameterDeclaration.Number("scale", "raw = (engineering value - offset) / scale", 1.0),
            ParameterDeclaration.Number("offset", "raw = (engineering value - offset) / scale", 0.0),
            ParameterDeclaration.Text("mode", "on-change or cyclic", "on-change"),
            ParameterDeclaration.Integer("periodUs", "cyclic: the write period; on-change: how often the input region is looked at (and the value written again, if it failed)", 100_000, "µs", min: 1_000, max: 3_600_000_000),
        ])
    {
        RowsMin = 0,
        RowsMax = 256,
    };

    public static IReadOnlyList<TableDeclaration> Tables { get; } = [PollsTable, InputsTable, OutputsTable];

    /// <summary>The driver's configuration from its spec; the first problem throws, naming the service and where it is.</summary>
    public static MasterDriverSettings From(string serviceId, ProgramParameters parameters)
    {
        var problems = new List<ProgramProblem>();
        var settings = Read(parameters, problems);
        ModbusRowRules.ThrowFirst(serviceId, problems);
        return settings;
    }

    /// <summary>Everything <c>validate</c> can say about the tables and the manifest that columns alone cannot.</summary>
    public static IEnumerable<ProgramProblem> Check(ProgramParameters parameters, ServiceManifest service)
    {
        ArgumentNullException.ThrowIfNull(service);
        var problems = new List<ProgramProblem>();
        var settings = Read(parameters, problems);
        CheckDevice(service, settings, problems);
        CheckRegion(service, settings.OutputRegion, "write", "parameters.outputRegion", settings.Inputs.Select((input, i) => (input.Point, $"tables.inputs[{i}].point")), problems);
        CheckRegion(service, settings.InputRegion, "read", "parameters.inputRegion", settings.Outputs.Select((output, i) => (output.Point, $"tables.outputs[{i}].point")), problems);
        return problems;
    }

    private static MasterDriverSettings Read(ProgramParameters parameters, List<ProgramProblem> problems)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var polls = ReadPolls(parameters.Table(PollsTable.Name), problems);
        var inputs = ReadInputs(parameters.Table(InputsTable.Name), polls, problems);
        var outputs = ReadOutputs(parameters.Table(OutputsTable.Name), problems);
        var outputRegion = parameters.Text("outputRegion");
        var inputRegion = parameters.Text("inputRegion");
        if (inputs.Length > 0 && outputRegion.Length == 0)
        {
            problems.Add(new("parameters.outputRegion", "the inputs table has rows but no output region is named", "the region those points are written into"));
        }

        if (outputs.Length > 0 && inputRegion.Length == 0)
        {
            problems.Add(new("parameters.inputRegion", "the outputs table has rows but no input region is named", "the region those points are read from"));
        }

        var initialMs = parameters.Integer("reconnectInitialMs");
        var maxMs = parameters.Integer("reconnectMaxMs");
        if (maxMs < initialMs)
        {
            problems.Add(new("parameters.reconnectMaxMs", $"{maxMs} ms is below reconnectInitialMs ({initialMs} ms)", "at least reconnectInitialMs"));
        }

        return new MasterDriverSettings(
            parameters.Text("device"),
            outputRegion,
            inputRegion,
            parameters.Integer("timeoutMs") * 1_000_000,
            (int)parameters.Integer("retries"),
            (int)parameters.Integer("pipeline"),
            (int)parameters.Integer("stalePolls"),
            initialMs * 1_000_000,
            maxMs * 1_000_000,
            polls,
            inputs,
            outputs);
    }

    private static ImmutableArray<PollSetting> ReadPolls(ImmutableArray<ProgramParameters> rows, List<ProgramProblem> problems)
    {
        var polls = ImmutableArray.CreateBuilder<PollSetting>(rows.Length);
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < rows.Length; i++)
        {
            var row = rows[i];
            var path = $"tables.polls[{i}]";
            var name = row.Text("name");
            if (!names.Add(name))
            {
                problems.Add(new($"{path}.name", $"poll group '{name}' is named twice", "a name of its own"));
            }

            var table = TableWord(row, path, problems, writable: false);
            var address = (int)row.Integer("address");
            var count = (int)row.Integer("count");
            var countMax = ModbusTables.ReadCountMax(table);
            if (count > countMax)
            {
                problems.Add(new($"{path}.count", $"{count} points in one read of {TableWords[(int)table]}", $"1..{countMax}"));
            }

            if (address + count > 65536)
            {
                problems.Add(new($"{path}.count", $"addresses {address}..{address + count - 1} run past 65535", $"at most {65536 - address} from address {address}"));
            }

            polls.Add(new PollSetting(name, (int)row.Integer("unit"), table, (ushort)address, (ushort)Math.Min(count, countMax), row.Integer("periodUs") * 1_000));
        }

        return polls.ToImmutable();
    }

    private static ImmutableArray<InputSetting> ReadInputs(ImmutableArray<ProgramParameters> rows, ImmutableArray<PollSetting> polls, List<ProgramProblem> problems)
    {
        var inputs = ImmutableArray.CreateBuilder<InputSetting>(rows.Length);
        var points = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < rows.Length; i++)
        {
            var row = rows[i];
            var path = $"tables.inputs[{i}]";
            var point = row.Text("point");
            if (!points.Add(point))
            {
                problems.Add(new($"{path}.point", $"point '{point}' is written by two rows", "each point from one row"));
            }

            var pollName = row.Text("poll");
            var poll = IndexOf(polls, pollName);
            var (type, order) = ModbusRowRules.TypeWords(row, path, problems);
            var index = (int)row.Integer("index");
            if (poll < 0)
            {
                problems.Add(new($"{path}.poll", $"no poll group '{pollName}'", polls.Length == 0 ? "a name from the polls table (it has none)" : string.Join(", ", polls.Select(p => p.Name))));
            }
            else
            {
                CheckFits(polls[poll], type, index, path, problems);
            }

            inputs.Add(new InputSetting(point, Math.Max(poll, 0), index, type, order, (int)row.Integer("bit"), row.Number("scale"), row.Number("offset")));
            ModbusRowRules.CheckScale(row.Number("scale"), path, problems);
        }

        return inputs.ToImmutable();
    }

    private static ImmutableArray<OutputSetting> ReadOutputs(ImmutableArray<ProgramParameters> rows, List<ProgramProblem> problems)
    {
        var outputs = ImmutableArray.CreateBuilder<OutputSetting>(rows.Length);
        // Per register of each unit and table, the bits some row already writes (0xFFFF: all of it).
        var claimed = new Dictionary<(int Unit, ModbusTable Table, int Address), int>();
        for (var i = 0; i < rows.Length; i++)
        {
            var row = rows[i];
            var path = $"tables.outputs[{i}]";
            var table = TableWord(row, path, problems, writable: true);
            var (type, order) = ModbusRowRules.TypeWords(row, path, problems);
            var bits = ModbusTables.IsBits(table);
            if (bits && type != ModbusValueType.Bit)
            {
                problems.Add(new($"{path}.type", $"a coil holds a bit, not {ModbusValueTypes.Word(type)}", "bit"));
            }

            var mode = Array.IndexOf(ModeWords, row.Text("mode"));
            if (mode < 0)
            {
                problems.Add(new($"{path}.mode", $"unknown mode '{row.Text("mode")}'", string.Join(", ", ModeWords)));
            }

            var address = (int)row.Integer("address");
            var registers = bits ? 1 : ModbusValueTypes.Registers(type);
            if (address + registers > 65536)
            {
                problems.Add(new($"{path}.address", $"a {ModbusValueTypes.Word(type)} at {address} runs past 65535", $"at most {65536 - registers}"));
            }

            var unit = (int)row.Integer("unit");
            var bit = type == ModbusValueType.Bit && !bits ? (int)row.Integer("bit") : -1;
            ModbusRowRules.Claim(claimed, unit, table, address, registers, bit, path, "written by another row", "each register (or bit of one) written by one row", problems);

            ModbusRowRules.CheckScale(row.Number("scale"), path, problems);
            outputs.Add(new OutputSetting(row.Text("point"), unit, table, (ushort)Math.Min(address, 65535), type, order, Math.Max(bit, 0), row.Number("scale"), row.Number("offset"), (OutputMode)Math.Max(mode, 0), row.Integer("periodUs") * 1_000));
        }

        return outputs.ToImmutable();
    }

    private static int IndexOf(ImmutableArray<PollSetting> polls, string name)
    {
        for (var i = 0; i < polls.Length; i++)
        {
            if (polls[i].Name == name)
            {
                return i;
            }
        }

        return -1;
    }

    private static ModbusTable TableWord(ProgramParameters row, string path, List<ProgramProblem> problems, bool writable)
    {
        var word = row.Text("table");
        var index = Array.IndexOf(TableWords, word);
        if (index < 0 || (writable && !ModbusTables.IsWritable((ModbusTable)index)))
        {
            var allowed = writable ? "coils, holding" : string.Join(", ", TableWords);
            problems.Add(new($"{path}.table", index < 0 ? $"unknown table '{word}'" : $"{word} cannot be written", allowed));
            return writable ? ModbusTable.HoldingRegisters : ModbusTable.InputRegisters;
        }

        return (ModbusTable)index;
    }

    /// <summary>A bit poll holds bits only; a register poll must hold all of a value's registers.</summary>
    private static void CheckFits(PollSetting poll, ModbusValueType type, int index, string path, List<ProgramProblem> problems)
    {
        var bits = ModbusTables.IsBits(poll.Table);
        if (bits && type != ModbusValueType.Bit)
        {
            problems.Add(new($"{path}.type", $"poll group '{poll.Name}' reads bits, not {ModbusValueTypes.Word(type)}", "bit"));
            return;
        }

        var width = bits ? 1 : ModbusValueTypes.Registers(type);
        if (index + width > poll.Count)
        {
            problems.Add(new($"{path}.index", $"a {ModbusValueTypes.Word(type)} at index {index} needs {width} of the {poll.Count} points poll group '{poll.Name}' reads", $"0..{poll.Count - width}"));
        }
    }

    private static void CheckDevice(ServiceManifest service, MasterDriverSettings settings, List<ProgramProblem> problems)
    {
        if (ProgramChecks.Device(service, settings.Device, problems) is ({ } device, { } address) && address.Scheme is not (DeviceScheme.ModbusTcp or DeviceScheme.ModbusRtu))
        {
            problems.Add(new("parameters.device", $"device '{device.Name}' is {device.Uri}, not a Modbus device", "a device with a modbus-tcp:// or modbus-rtu:// URI"));
        }
    }

    private static void CheckRegion(ServiceManifest service, string regionName, string access, string path, IEnumerable<(string Point, string Path)> points, List<ProgramProblem> problems)
    {
        if (regionName.Length == 0)
        {
            return;
        }

        var region = service.Regions.FirstOrDefault(r => r.Name == regionName);
        if (region is null || region.Access != access)
        {
            var held = service.Regions.Where(r => r.Access == access).Select(r => r.Name).ToList();
            problems.Add(new(path, region is null ? $"region '{regionName}' is not in this service's regions" : $"this service has region '{regionName}' for {region.Access}, not {access}", held.Count == 0 ? $"a region it has for {access} (it has none)" : string.Join(", ", held)));
            return;
        }

        // A writer declares its points; a reader that lists none leaves the check to the kernel at start.
        if (region.Points.Count == 0 && access == "read")
        {
            return;
        }

        foreach (var (point, pointPath) in points)
        {
            if (!region.Points.Contains(point))
            {
                problems.Add(new(pointPath, $"region '{regionName}' has no point '{point}' in this service's manifest", region.Points.Count == 0 ? "none listed" : string.Join(", ", region.Points)));
            }
        }
    }
}
