using Neokernel.Gateway.Plant;
using Neokernel.Gateway.Ua;
using Neokernel.Gateway.Ua.Server;

namespace Neokernel.Gateway;

/// <summary>
/// The block networks of the plant namespace: <c>Blocks/&lt;network&gt;/&lt;block.PIN&gt;</c>, one
/// Double per value the gateway's <c>blockValues</c> table lists, from the
/// <see cref="BlockValuesView"/>'s last GetValue (BOOL reads 0 or 1, TIME seconds). A value listed
/// read-write is writable by operators and engineers, or with <c>writeRole: engineer</c> (tuning) by
/// engineers only: a Write is a SetValue through the network's
/// command endpoint and completes when the network answered (Good once it took the value,
/// BadNotWritable when it does not list the value as settable, BadOutOfRange for a value its type
/// cannot hold, BadTimeout without an answer).
/// </summary>
public sealed partial class PlantNamespace
{
    private void AddBlockValues(UaNode objects, BlockValuesView blockValues)
    {
        var networks = new Dictionary<string, UaObjectNode>(StringComparer.Ordinal);
        var blocksFolder = space.AddFolder(objects, Id("Blocks"), "Blocks", blockValues.Count);
        for (int i = 0; i < blockValues.Count; i++)
        {
            var definition = blockValues.Value(i).Definition;
            if (!networks.TryGetValue(definition.NetworkId, out var network))
            {
                network = space.AddObject(blocksFolder, Id("Blocks/" + definition.NetworkId), definition.NetworkId, childCapacity: blockValues.Count);
                networks.Add(definition.NetworkId, network);
            }

            space.AddVariable(network, new UaVariableNode(Id($"Blocks/{definition.NetworkId}/{definition.Value}"), new QualifiedName(Namespace, definition.Value), LocalizedText.Invariant(definition.Value), new BlockValueSource(blockValues, i, server))
            {
                DataType = space.DataType(DataTypeIds.Double),
                AccessLevel = definition.Writable ? AccessLevels.ReadWrite : AccessLevels.CurrentRead,
                WriteRole = definition.EngineersOnly ? UserRole.Engineer : UserRole.Operator,
            });
        }
    }

    /// <summary>One block value: a read allocates nothing; a write allocates its completion (not a hot path).</summary>
    private sealed class BlockValueSource(BlockValuesView values, int index, UaServer server) : IUaValueSource
    {
        public DataValue Read(UaVariableNode variable, UserRole role, long nowTicks)
        {
            var snapshot = values.Value(index);
            if (!snapshot.HasValue)
            {
                return DataValue.FromStatus(snapshot.StaleReason == StaleReason.Refused ? StatusCodes.BadConfigurationError : StatusCodes.BadWaitingForInitialData);
            }

            var status = snapshot.Freshness == ViewFreshness.Fresh ? StatusCodes.Good
                : snapshot.StaleReason == StaleReason.Refused ? StatusCodes.BadConfigurationError
                : StatusCodes.UncertainLastUsableValue;
            long updated = UaDateTime.FromUnixNanoseconds(server.WallClockAtZeroUnixNs + snapshot.UpdatedNs);
            return new DataValue(new Variant(snapshot.Value), status, updated, ServerTimestamp: nowTicks);
        }

        public StatusCode Write(UaVariableNode variable, in DataValue value, UserRole role) => StatusCodes.BadNotWritable;

        public void BeginWrite(UaVariableNode variable, in DataValue value, UserRole role, WriteCompletion completion)
        {
            double number = value.Value.AsDouble();
            if (!double.IsFinite(number))
            {
                completion.Complete(StatusCodes.BadOutOfRange);
                return;
            }

            var outcome = values.Set(index, number, new ValueWrite(completion), 0);
            if (outcome != CallOutcome.Pending)
            {
                completion.Complete(WriteStatusOf(outcome));
            }
        }
    }

    /// <summary>The answer to one write of a value the receiver checks (a block value, a loop's gain) completes that value of the Write; a refused value is BadOutOfRange.</summary>
    private sealed class ValueWrite(WriteCompletion completion) : ICallCompletion
    {
        public void OnCompleted(long token, CallOutcome outcome) => completion.Complete(WriteStatusOf(outcome));
    }

    /// <summary>A refused value is out of range for a Write (Part 4's BadOutOfRange), not an invalid argument.</summary>
    private static StatusCode WriteStatusOf(CallOutcome outcome) =>
        outcome == CallOutcome.InvalidValue ? StatusCodes.BadOutOfRange : StatusOf(outcome);
}
