// The real OPC UA client for the gateway's interop tests: node-opcua's, SecurityPolicy None.
// Each command prints one JSON object on stdout; an error prints a message on stderr and exits 1.
//
//   node client.mjs browse-all <url> [--root NodeId] [--max-refs 100]
//   node client.mjs read-all <url> [--root NodeId] [--max-refs 100] [--batch 500]
//   node client.mjs read <url> <nodeId>...
//   node client.mjs write <url> <nodeId> <dataType> <value> [--user U --password P]
//   node client.mjs call <url> <objectId> <methodId> [type:value]... [--user U --password P]
//   node client.mjs subscribe <url> --nodes <id,id,...|/Objects/Regions/bench/*> [--limit N] [--interval-ms 100] [--seconds S] [--per-item true]
//   node client.mjs reconnect <url> --seconds S [--nodes ...] [--interval-ms 100]
import "./lib/prelude.mjs";
import { AttributeIds, resolveNodeId } from "node-opcua-client";
import {
  attributeNames,
  browseAll,
  chooseCommand,
  connect,
  emit,
  integerOption,
  isGood,
  jsonVariant,
  numberOption,
  parseNodeId,
  resolveNodes,
  run,
  setScriptName,
  sleep,
  statusName,
  variantFrom,
  watchdog,
} from "./lib/common.mjs";
import { subscribeValues } from "./lib/subscription.mjs";

setScriptName("client.mjs");

/** Attribute ids 1 (NodeId) to 27 (AccessLevelEx): every attribute OPC UA 1.04 defines. */
const attributeIdsAll = Array.from({ length: 27 }, (_, i) => i + 1);

/** The server's OperationLimits MaxNodesPerRead (0 means no limit). */
const maxNodesPerReadId = "i=11705";

const commands = {
  "browse-all": { options: ["root", "max-refs"], run: browseAllCommand },
  "read-all": { options: ["root", "max-refs", "batch"], run: readAllCommand },
  read: { options: [], run: readCommand },
  write: { options: ["user", "password"], run: writeCommand },
  call: { options: ["user", "password"], run: callCommand },
  subscribe: { options: ["nodes", "limit", "interval-ms", "seconds", "per-item"], run: subscribeCommand },
  reconnect: { options: ["nodes", "interval-ms", "seconds"], run: reconnectCommand },
};

async function main() {
  const { name, command, url, args, options } = chooseCommand(commands, process.argv.slice(2));
  const seconds = numberOption(options, "seconds", 0, 0, 3600);
  watchdog(seconds + 120, name);
  emit({ command: name, url, ...(await command.run(url, args, options)) });
}

async function withSession(url, options, body) {
  const connection = await connect(url, { user: options.user, password: options.password });
  try {
    return await body(connection.session, connection);
  } finally {
    await connection.close();
  }
}

function browseOptions(options) {
  return { rootId: options.root ?? "RootFolder", maxReferencesPerNode: integerOption(options, "max-refs", 100, 0, 100_000) };
}

async function browseAllCommand(url, _args, options) {
  return withSession(url, options, async (session) => {
    const started = performance.now();
    const { nodes, stats } = await browseAll(session, browseOptions(options));
    return { count: nodes.length, elapsedMs: Math.round(performance.now() - started), ...stats, nodes };
  });
}

async function readAllCommand(url, _args, options) {
  return withSession(url, options, async (session) => {
    const started = performance.now();
    const { nodes, stats } = await browseAll(session, browseOptions(options));
    const browseMs = performance.now() - started;
    const [limit] = await session.read([{ nodeId: resolveNodeId(maxNodesPerReadId), attributeId: AttributeIds.Value }]);
    const serverLimit = isGood(limit.statusCode) && Number(limit.value.value) > 0 ? Number(limit.value.value) : Infinity;
    const batch = Math.min(integerOption(options, "batch", 500, 1, 100_000), serverLimit);
    const pairs = nodes.flatMap((node) => attributeIdsAll.map((attributeId) => ({ node, attributeId })));
    let readRequests = 0;
    let good = 0;
    for (const node of nodes) {
      node.good = [];
      node.other = {};
    }
    for (let start = 0; start < pairs.length; start += batch) {
      const chunk = pairs.slice(start, start + batch);
      const values = await readChunk(session, chunk);
      readRequests++;
      values.forEach((dataValue, i) => {
        const { node, attributeId } = chunk[i];
        const attribute = attributeNames[attributeId];
        if (isGood(dataValue.statusCode)) {
          node.good.push(attribute);
          good++;
        } else {
          node.other[attribute] = statusName(dataValue.statusCode);
        }
      });
    }
    for (const node of nodes) {
      delete node.referenceTypes;
    }
    return {
      count: nodes.length,
      attributesRead: pairs.length,
      attributesGood: good,
      readRequests,
      batch,
      browseMs: Math.round(browseMs),
      elapsedMs: Math.round(performance.now() - started),
      ...stats,
      nodes,
    };
  });
}

/** Reads a batch; when the whole read throws, finds and names the first node whose read throws. */
async function readChunk(session, chunk) {
  const request = chunk.map(({ node, attributeId }) => ({ nodeId: resolveNodeId(node.nodeId), attributeId }));
  try {
    const values = await session.read(request);
    if (values.length !== request.length) {
      throw new Error(`Read of ${request.length} attributes answered ${values.length} results`);
    }
    return values;
  } catch (batchError) {
    for (const { node, attributeId } of chunk) {
      try {
        await session.read([{ nodeId: resolveNodeId(node.nodeId), attributeId }]);
      } catch (error) {
        throw new Error(`reading ${node.nodeId} (${node.browseName}) attribute ${attributeNames[attributeId]} (${attributeId}) threw: ${error.message ?? error}`);
      }
    }
    throw new Error(`a Read of ${chunk.length} attributes threw, though each read alone did not: ${batchError.message ?? batchError}`);
  }
}

async function readCommand(url, args, options) {
  if (args.length === 0) {
    throw new Error("usage: client.mjs read <url> <nodeId>...");
  }
  const nodeIds = args.map(parseNodeId);
  return withSession(url, options, async (session) => {
    const values = await session.read(nodeIds.map((nodeId) => ({ nodeId, attributeId: AttributeIds.Value })));
    return {
      results: values.map((dataValue, i) => ({
        nodeId: args[i],
        status: statusName(dataValue.statusCode),
        ...(dataValue.value ? jsonVariant(dataValue.value) : {}),
        sourceTimestamp: dataValue.sourceTimestamp?.toISOString() ?? null,
        serverTimestamp: dataValue.serverTimestamp?.toISOString() ?? null,
      })),
    };
  });
}

async function writeCommand(url, args, options) {
  if (args.length !== 3) {
    throw new Error("usage: client.mjs write <url> <nodeId> <dataType> <value> [--user U --password P]");
  }
  const nodeId = parseNodeId(args[0]);
  const value = variantFrom(args[1], args[2]);
  return withSession(url, options, async (session) => {
    const [status] = await session.write([{ nodeId, attributeId: AttributeIds.Value, value: { value } }]);
    return { nodeId: args[0], status: statusName(status) };
  });
}

async function callCommand(url, args, options) {
  if (args.length < 2) {
    throw new Error("usage: client.mjs call <url> <objectId> <methodId> [type:value]... [--user U --password P]");
  }
  const objectId = parseNodeId(args[0]);
  const methodId = parseNodeId(args[1]);
  const inputArguments = args.slice(2).map((text) => {
    const colon = text.indexOf(":");
    if (colon <= 0) {
      throw new Error(`argument '${text}': expected type:value, e.g. String:level-sensor or Int32:2`);
    }
    return variantFrom(text.slice(0, colon), text.slice(colon + 1));
  });
  return withSession(url, options, async (session) => {
    const result = await session.call({ objectId, methodId, inputArguments });
    return {
      objectId: args[0],
      methodId: args[1],
      status: statusName(result.statusCode),
      inputArgumentResults: (result.inputArgumentResults ?? []).map(statusName),
      outputArguments: (result.outputArguments ?? []).map(jsonVariant),
    };
  });
}

async function subscribeCommand(url, _args, options) {
  const intervalMs = integerOption(options, "interval-ms", 100, 1, 60_000);
  const seconds = numberOption(options, "seconds", 3, 0.1, 3600);
  const limit = integerOption(options, "limit", Infinity, 1, 1_000_000);
  return withSession(url, options, async (session) => {
    const nodeIds = await resolveNodes(session, options.nodes, limit);
    const { subscription, counter } = await subscribeValues(session, nodeIds, { intervalMs });
    counter.reset();
    await sleep(seconds * 1000);
    const summary = counter.summary(nodeIds, { perItem: options["per-item"] !== "false" });
    await subscription.terminate().catch(() => {});
    return { intervalMs, revisedPublishingIntervalMs: subscription.publishingInterval, ...summary };
  });
}

/**
 * Holds a session with a subscription for `seconds` while the server may go away and come back;
 * node-opcua's client reconnects by itself. Reports the disconnects, the reconnections, and
 * whether the subscription came back under its id or was recreated under a new one, and how many
 * notifications arrived after the last reconnection.
 */
async function reconnectCommand(url, _args, options) {
  const intervalMs = integerOption(options, "interval-ms", 100, 1, 60_000);
  const seconds = numberOption(options, "seconds", 10, 0.5, 3600);
  const connection = await connect(url, { retries: 1_000_000, maxDelayMs: 500, keepSessionAlive: true });
  const { client, session } = connection;
  const events = { disconnects: 0, reconnections: 0, failedAttempts: 0, sessionRestored: 0, subscriptionIdChanges: 0 };
  const timeline = [];
  const started = performance.now();
  const note = (event) => timeline.push({ atMs: Math.round(performance.now() - started), event });
  let notificationsAfterReconnect = 0;
  let notificationsBeforeDisconnect = 0;
  client.on("connection_lost", () => {
    events.disconnects++;
    note("connection_lost");
  });
  client.on("connection_reestablished", () => {
    events.reconnections++;
    notificationsAfterReconnect = 0;
    note("connection_reestablished");
  });
  client.on("reconnection_attempt_has_failed", () => events.failedAttempts++);
  session.on("session_restored", () => {
    events.sessionRestored++;
    note("session_restored");
  });
  try {
    const nodeIds = options.nodes ? await resolveNodes(session, options.nodes, 10) : ["i=2258"];
    const { subscription, counter } = await subscribeValues(session, nodeIds, { intervalMs });
    const firstId = subscription.subscriptionId;
    subscription.on("subscriptionId_changed", (id, previous) => {
      events.subscriptionIdChanges++;
      // A recreated subscription numbers its messages from 1 again: not a gap.
      counter.lastSequence = undefined;
      note(`subscriptionId_changed ${previous} -> ${id}`);
    });
    subscription.on("raw_notification", (message) => {
      if ((message.notificationData ?? []).length === 0) {
        return;
      }
      if (events.disconnects === 0) {
        notificationsBeforeDisconnect++;
      } else if (events.reconnections >= events.disconnects) {
        notificationsAfterReconnect++;
      }
    });
    await sleep(seconds * 1000);
    const lastId = subscription.subscriptionId;
    const subscriptionOutcome = events.disconnects === 0 ? "never-lost" : notificationsAfterReconnect === 0 ? "lost" : firstId === lastId ? "same" : "recreated";
    return {
      seconds,
      ...events,
      connected: events.reconnections >= events.disconnects,
      subscription: subscriptionOutcome,
      subscriptionIdFirst: firstId,
      subscriptionIdLast: lastId,
      notificationsBeforeDisconnect,
      notificationsAfterReconnect,
      sequenceGaps: counter.sequenceGaps,
      timeline,
    };
  } finally {
    await connection.close();
  }
}

run(main);
