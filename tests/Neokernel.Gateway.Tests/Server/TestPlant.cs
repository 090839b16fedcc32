using Neokernel.Gateway.Ua;
using Neokernel.Gateway.Ua.Server;

namespace Neokernel.Gateway.Tests.Server;

/// <summary>
/// A hand-built address space for the service tests: namespace 0 with its Server object installed,
/// and a small plant in "urn:neokernel:plant" (a folder, variables of each access kind, an object
/// with a synchronous, an asynchronous and a disabled method).
/// </summary>
internal sealed class TestPlant
{
    public const string ApplicationUri = "urn:neokernel:test-gateway";
    public const long StartTicks = 133_800_000_000_000_000;
    public const long NowTicks = StartTicks + 10_000_000;
    public const long SourceTicks = StartTicks + 5_000_000;

    public TestPlant(UaServiceLimits? limits = null)
    {
        Limits = limits ?? UaServiceLimits.Default;
        Space = new AddressSpace(ApplicationUri);
        ServerObject.Install(Space, new UaServerDescription { ApplicationUri = ApplicationUri, StartTimeTicks = StartTicks, BuildDateTicks = StartTicks - 1 }, Limits);
        Ns = Space.RegisterNamespace("urn:neokernel:plant");
        Folder = Space.AddFolder(Space.ObjectsFolder, Id("Plant"), "Plant");
        Level = Space.AddVariable(Folder, new UaVariableNode(Id("Plant.Level"), Name("Level"), LocalizedText.Invariant("Level"), LevelSource)
        {
            DataType = Space.DataType(DataTypeIds.Double),
        });
        Setpoint = Space.AddVariable(Folder, Variable("Plant.Setpoint", "Setpoint", DataTypeIds.Double, new Variant(1.5), AccessLevels.ReadWrite, UserRole.Operator));
        Gain = Space.AddVariable(Folder, Variable("Plant.Gain", "Gain", DataTypeIds.Double, new Variant(0.8), AccessLevels.ReadWrite, UserRole.Engineer));
        Hidden = Space.AddVariable(Folder, Variable("Plant.Hidden", "Hidden", DataTypeIds.Double, new Variant(0.0), 0, UserRole.Operator));
        Samples = Space.AddVariable(Folder, new UaVariableNode(Id("Plant.Samples"), Name("Samples"), LocalizedText.Invariant("Samples"), new StoredValue(new DataValue(
            Variant.FromArray(BuiltInType.Double, (double[])[0.0, 1.0, 2.0, 3.0, 4.0]))))
        {
            DataType = Space.DataType(DataTypeIds.Double),
            ValueRank = 1,
            ArrayDimensions = [0],
            AccessLevel = AccessLevels.ReadWrite,
        });
        Text = Space.AddVariable(Folder, Variable("Plant.Text", "Text", DataTypeIds.String, new Variant("tank-1"), AccessLevels.ReadWrite, UserRole.Operator));
        Period = Space.AddVariable(Folder, Variable("Plant.Period", "Period", DataTypeIds.Duration, new Variant(100.0), AccessLevels.ReadWrite, UserRole.Operator));
        State = Space.AddVariable(Folder, Variable("Plant.State", "State", DataTypeIds.ServerState, new Variant(0), AccessLevels.ReadWrite, UserRole.Operator));
        Loop = Space.AddObject(Folder, Id("Plant.Loop"), "Loop");
        SetMode = Space.AddMethod(Loop, new UaMethodNode(Id("Plant.Loop.SetMode"), Name("SetMode"), LocalizedText.Invariant("SetMode"), SetModeHandler)
        {
            InputArguments = [Argument("Mode", DataTypeIds.Int32), Argument("Reason", DataTypeIds.String)],
            OutputArguments = [Argument("Previous", DataTypeIds.Int32)],
        });
        Restart = Space.AddMethod(Loop, new UaMethodNode(Id("Plant.Loop.Restart"), Name("Restart"), LocalizedText.Invariant("Restart"), RestartHandler)
        {
            CallRole = UserRole.Engineer,
            InputArguments = [Argument("Id", DataTypeIds.String)],
        });
        Disabled = Space.AddMethod(Loop, new UaMethodNode(Id("Plant.Loop.Disabled"), Name("Disabled"), LocalizedText.Invariant("Disabled"), SetModeHandler)
        {
            Executable = false,
        });
    }

    public UaServiceLimits Limits { get; }

    public AddressSpace Space { get; }

    public ushort Ns { get; }

    public UaObjectNode Folder { get; }

    public CountingSource LevelSource { get; } = new();

    public UaVariableNode Level { get; }

    public UaVariableNode Setpoint { get; }

    public UaVariableNode Gain { get; }

    public UaVariableNode Hidden { get; }

    public UaVariableNode Samples { get; }

    public UaVariableNode Text { get; }

    public UaVariableNode Period { get; }

    public UaVariableNode State { get; }

    public UaObjectNode Loop { get; }

    public RecordingHandler SetModeHandler { get; } = new(completeAtOnce: true);

    public RecordingHandler RestartHandler { get; } = new(completeAtOnce: false);

    public UaMethodNode SetMode { get; }

    public UaMethodNode Restart { get; }

    public UaMethodNode Disabled { get; }

    public SessionViewState Session => session ??= new SessionViewState(Limits);

    private SessionViewState? session;

    public NodeId Id(string text) => NodeId.FromString(text, Ns);

    public QualifiedName Name(string text) => new(Ns, text);

    public UaRequestContext Context(UserRole role = UserRole.Viewer) => new(role, Session, NowTicks);

    public ViewServices View() => new(Space, Limits);

    public AttributeServices Attributes() => new(Space, Limits);

    public MethodServices Methods() => new(Space, Limits);

    public static Argument Argument(string name, uint dataTypeId) => new() { Name = name, DataType = new NodeId(dataTypeId), ValueRank = -1 };

    private UaVariableNode Variable(string id, string name, uint dataTypeId, Variant value, byte accessLevel, UserRole writeRole) =>
        new(Id(id), Name(name), LocalizedText.Invariant(name), new StoredValue(new DataValue(value, SourceTimestamp: SourceTicks)))
        {
            DataType = Space.DataType(dataTypeId),
            AccessLevel = accessLevel,
            WriteRole = writeRole,
        };
}

/// <summary>A value source that counts its reads and refuses writes from anyone but an engineer.</summary>
internal sealed class CountingSource : IUaValueSource
{
    public int Reads { get; private set; }

    public UserRole LastWriter { get; private set; }

    public DataValue Read(UaVariableNode variable, UserRole role, long nowTicks)
    {
        Reads++;
        return new DataValue(new Variant(42.5), StatusCode.Good, TestPlant.SourceTicks);
    }

    public StatusCode Write(UaVariableNode variable, in DataValue value, UserRole role)
    {
        LastWriter = role;
        return role == UserRole.Engineer ? StatusCode.Good : StatusCodes.BadUserAccessDenied;
    }
}

/// <summary>A method handler that records its calls and completes them at once (outputs: the first input) or keeps them for the test to complete.</summary>
internal sealed class RecordingHandler(bool completeAtOnce) : IUaMethodHandler
{
    public List<MethodCall> Calls { get; } = [];

    public void Invoke(MethodCall call)
    {
        Calls.Add(call);
        if (completeAtOnce)
        {
            call.Complete(StatusCode.Good, [call.Inputs[0]]);
        }
    }
}

/// <summary>Keeps what a Call answered.</summary>
internal sealed class CallRecorder : IUaCallResponder
{
    public List<(CallResponse Response, object? State)> Responses { get; } = [];

    public void CallCompleted(CallResponse response, object? state) => Responses.Add((response, state));
}

/// <summary>Keeps each Write response (and its state) as it completes.</summary>
internal sealed class WriteRecorder : IUaWriteResponder
{
    public List<(WriteResponse Response, object? State)> Responses { get; } = [];

    public void WriteCompleted(WriteResponse response, object? state) => Responses.Add((response, state));
}
