using Neokernel.Contracts;
using Neokernel.Controllers;
using Neokernel.Gateway.Plant;
using Neokernel.Gateway.Ua;
using Neokernel.Gateway.Ua.Server;

namespace Neokernel.Gateway;

/// <summary>
/// The loops of the plant namespace: <c>Loops/&lt;id&gt;/{Setpoint, ProcessValue, Output, Mode, Kc,
/// TiSeconds, TdSeconds}</c> from the <see cref="LoopsView"/>'s last GetStatus of each loop, and the
/// method <c>Loops.SetLoopMode(loopId, mode)</c>. Setpoint is written by operators and engineers;
/// Kc, TiSeconds and TdSeconds, the loop's tuning, by engineers only (an operator's Write is
/// BadUserAccessDenied), each a SetTuning that changes that gain alone, without a bump.
/// </summary>
public sealed partial class PlantNamespace
{
    private static readonly string[] ModeNames = Enum.GetNames<PidMode>();

    /// <summary>The fields of a loop's object, in browse order.</summary>
    private enum LoopField : byte
    {
        Setpoint,
        ProcessValue,
        Output,
        Mode,
        Kc,
        TiSeconds,
        TdSeconds,
    }

    private void AddLoops(UaNode objects, LoopsView loops)
    {
        var loopsFolder = space.AddFolder(objects, Id("Loops"), "Loops", loops.Count + 1);
        space.AddMethod(loopsFolder, new UaMethodNode(Id("Loops.SetLoopMode"), new QualifiedName(Namespace, "SetLoopMode"), LocalizedText.Invariant("SetLoopMode"), new SetLoopModeMethod(loops))
        {
            CallRole = UserRole.Operator,
            InputArguments =
            [
                new Argument { Name = "loopId", DataType = new NodeId(DataTypeIds.String), ValueRank = -1, Description = LocalizedText.Invariant("the id of the loop (its node under Loops)") },
                new Argument { Name = "mode", DataType = new NodeId(DataTypeIds.String), ValueRank = -1, Description = LocalizedText.Invariant("Auto or Manual (any case)") },
            ],
        });

        var fields = Enum.GetValues<LoopField>();
        for (int i = 0; i < loops.Count; i++)
        {
            string loopId = loops.Loop(i).LoopId;
            var loopObject = space.AddObject(loopsFolder, Id("Loops/" + loopId), loopId, childCapacity: fields.Length);
            foreach (var field in fields)
            {
                string name = field.ToString();
                bool gain = IsGain(field);
                bool writable = field == LoopField.Setpoint || gain;
                space.AddVariable(loopObject, new UaVariableNode(Id($"Loops/{loopId}/{name}"), new QualifiedName(Namespace, name), LocalizedText.Invariant(name), new LoopFieldSource(loops, i, field, server))
                {
                    DataType = space.DataType(field == LoopField.Mode ? DataTypeIds.String : DataTypeIds.Double),
                    AccessLevel = writable ? AccessLevels.ReadWrite : AccessLevels.CurrentRead,
                    WriteRole = gain ? UserRole.Engineer : UserRole.Operator,
                });
            }
        }
    }

    /// <summary>The loop's tuning: written by engineers, as a SetTuning of that gain.</summary>
    private static bool IsGain(LoopField field) => field is LoopField.Kc or LoopField.TiSeconds or LoopField.TdSeconds;

    /// <summary>The quality of a loop's value: the view's freshness first, then (for the process value) the input's own quality.</summary>
    private static StatusCode LoopQuality(in LoopSnapshot loop, LoopField field)
    {
        if (loop.Freshness == ViewFreshness.Stale)
        {
            return StatusCodes.UncertainLastUsableValue;
        }

        if (field != LoopField.ProcessValue)
        {
            return StatusCodes.Good;
        }

        return loop.Status.ProcessValueQuality switch
        {
            InputQualityCode.Good => StatusCodes.Good,
            InputQualityCode.Uncertain => StatusCodes.Uncertain,
            _ => StatusCodes.Bad,
        };
    }

    /// <summary>
    /// One field of one loop. A read allocates nothing (the mode names are made once). A write of
    /// the setpoint is a SetSetpoint command through the loop's command endpoint, a write of a gain
    /// a SetTuning of that gain alone, and the Write completes when the loop answered: Good once the
    /// loop took the value (the view then reads the loop's status at once, so the value read back
    /// follows within a round trip), BadOutOfRange for a gain the loop refused (0, of the other
    /// sign, negative), BadTimeout when it did not answer in time, BadTooManyOperations while its
    /// commands are all in flight.
    /// A write is not a hot path: it allocates its completion.
    /// </summary>
    private sealed class LoopFieldSource(LoopsView loops, int loopIndex, LoopField field, UaServer server) : IUaValueSource
    {
        public DataValue Read(UaVariableNode variable, UserRole role, long nowTicks)
        {
            var loop = loops.Loop(loopIndex);
            if (loop.Freshness == ViewFreshness.NeverRead)
            {
                return DataValue.FromStatus(StatusCodes.BadWaitingForInitialData);
            }

            var s = loop.Status;
            Variant value = field switch
            {
                LoopField.Setpoint => new Variant(s.Setpoint),
                LoopField.ProcessValue => new Variant(s.ProcessValue),
                LoopField.Output => new Variant(s.Output),
                LoopField.Mode => new Variant((uint)s.Mode < (uint)ModeNames.Length ? ModeNames[(int)s.Mode] : s.Mode.ToString()),
                LoopField.Kc => new Variant(s.Kc),
                LoopField.TiSeconds => new Variant(s.TiSeconds),
                _ => new Variant(s.TdSeconds),
            };
            long updated = UaDateTime.FromUnixNanoseconds(server.WallClockAtZeroUnixNs + loop.UpdatedNs);
            return new DataValue(value, LoopQuality(loop, field), updated, ServerTimestamp: nowTicks);
        }

        public StatusCode Write(UaVariableNode variable, in DataValue value, UserRole role) => StatusCodes.BadNotWritable;

        public void BeginWrite(UaVariableNode variable, in DataValue value, UserRole role, WriteCompletion completion)
        {
            if (field != LoopField.Setpoint && !IsGain(field))
            {
                completion.Complete(StatusCodes.BadNotWritable);
                return;
            }

            double number = value.Value.AsDouble();
            if (!double.IsFinite(number))
            {
                completion.Complete(StatusCodes.BadOutOfRange);
                return;
            }

            var outcome = field switch
            {
                LoopField.Setpoint => loops.SetSetpoint(loopIndex, number, new SetpointWrite(completion), 0),
                LoopField.Kc => loops.SetTuning(loopIndex, new TuningChange(number, double.NaN, double.NaN), new ValueWrite(completion), 0),
                LoopField.TiSeconds => loops.SetTuning(loopIndex, new TuningChange(double.NaN, number, double.NaN), new ValueWrite(completion), 0),
                _ => loops.SetTuning(loopIndex, new TuningChange(double.NaN, double.NaN, number), new ValueWrite(completion), 0),
            };
            if (outcome != CallOutcome.Pending)
            {
                completion.Complete(WriteStatusOf(outcome));
            }
        }
    }

    /// <summary>The loop's answer to one setpoint write completes that value of the Write.</summary>
    private sealed class SetpointWrite(WriteCompletion completion) : ICallCompletion
    {
        public void OnCompleted(long token, CallOutcome outcome) => completion.Complete(StatusOf(outcome));
    }

    /// <summary>SetLoopMode(loopId, mode): the loop's answer completes the call (unknown loop or mode → BadInvalidArgument).</summary>
    private sealed class SetLoopModeMethod(LoopsView loops) : IUaMethodHandler
    {
        private readonly PendingMethodCalls pending = new();

        public void Invoke(MethodCall call)
        {
            string? loopId = call.Inputs[0].AsString();
            if (string.IsNullOrEmpty(loopId) || !TryParseMode(call.Inputs[1].AsString(), out var mode))
            {
                call.Complete(StatusCodes.BadInvalidArgument);
                return;
            }

            long token = pending.NextToken();
            pending.Track(call, token, loops.SetLoopMode(loopId, mode, pending, token));
        }

        /// <summary>A mode by its name in any case; not by number, which a client could mistype into the other mode.</summary>
        private static bool TryParseMode(string? text, out PidMode mode)
        {
            mode = PidMode.Auto;
            if (string.Equals(text, nameof(PidMode.Auto), StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            mode = PidMode.Manual;
            return string.Equals(text, nameof(PidMode.Manual), StringComparison.OrdinalIgnoreCase);
        }
    }
}
