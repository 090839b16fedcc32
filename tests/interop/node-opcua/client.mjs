// The real OPC UA client for the gateway's interop tests: node-opcua's, SecurityPolicy None.
// Each command prints one JSON object on stdout; an error prints a message on stderr and exits 1.
//
//   node client.mjs browse-all <url> [--root NodeId] [--max-refs 100]
//   node client.mjs read-all <url> [--root NodeId] [--max-refs 100] [--batch 500]
//   node client.mjs read <url> <nodeId>...
//   node client.mjs write <url> <nodeId> <dataType> <value> [--user U --password P]
//   node client.mjs call <url> <objectId> <methodId> [type:value]... [--user U --password P]
//   node client.mjs subscribe <url> --nodes <id,id,...|/Objects/Regions/bench/*> [--limit N] [--interval-ms 100] [--seconds S] [--per-item true]
//                   [--sampling-ms MS] [--queue-size 10] [--change-ms MS]
//   node client.mjs reconnect <url> --seconds S [--nodes ...] [--interval-ms 100] [--until-recovered true]
//   node client.mjs poll <url> <nodeId>... --seconds S [--interval-ms 100] [--samples true]
import "./lib/prelude.mjs";
import { AttributeIds, resolveNodeId } from "node-opcua-client";
import {
  attributeNames,
  browseAll,
  chooseCommand,
  connect,
  describe,
  emit,
  integerOption,
  isGood,
  jsonValue,
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
  subscribe: { options: ["nodes", "limit", "interval-ms", "seconds", "per-item", "sampling-ms", "queue-size", "change-ms"], run: subscribeCommand },
  reconnect: { options: ["nodes", "interval-ms", "seconds", "until-recovered"], run: reconnectCommand },
  poll: { options: ["interval-ms", "seconds", "samples"], run: pollCommand },
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

/**
 * Subscribes to the nodes' Values and counts what arrives for `seconds`. With --change-ms (how
 * often the source changes every item), also checks that every change arrived: see
 * NotificationCounter.changes.
 */
async function subscribeCommand(url, _args, options) {
  const intervalMs = integerOption(options, "interval-ms", 100, 1, 60_000);
  const samplingMs = integerOption(options, "sampling-ms", intervalMs, 0, 60_000);
  const queueSize = integerOption(options, "queue-size", 10, 1, 10_000);
  const changeMs = integerOption(options, "change-ms", 0, 0, 60_000);
  const seconds = numberOption(options, "seconds", 3, 0.1, 3600);
  const limit = integerOption(options, "limit", Infinity, 1, 1_000_000);
  return withSession(url, options, async (session) => {
    const nodeIds = await resolveNodes(session, options.nodes, limit);
    const { subscription, counter } = await subscribeValues(session, nodeIds, { intervalMs, samplingMs, queueSize, trackChanges: changeMs > 0 });
    counter.reset();
    await sleep(seconds * 1000);
    const summary = counter.summary(nodeIds, { perItem: options["per-item"] !== "false" });
    const changes = changeMs > 0 ? { changes: counter.changes(changeMs) } : {};
    await subscription.terminate().catch(() => {});
    return { intervalMs, samplingMs, queueSize, revisedPublishingIntervalMs: subscription.publishingInterval, ...summary, ...changes };
  });
}

/**
 * Holds a session with a subscription for `seconds` while the server may go away and come back;
 * node-opcua's client reconnects by itself. Reports the disconnects, the reconnections, and
 * whether the subscription came back under its id or was recreated under a new one, how many
 * notifications arrived after the last reconnection, and how long after the connection was lost
 * the first of them came (recoveryMs). Prints {"subscribed":true} once the subscription is up.
 * With --until-recovered true it ends a second after data came back, instead of after `seconds`.
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
  let lostAtMs;
  let recoveryMs = null;
  let recovered;
  const recovery = new Promise((resolve) => {
    recovered = resolve;
  });
  client.on("connection_lost", () => {
    events.disconnects++;
    lostAtMs = performance.now();
    recoveryMs = null;
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
    // A caller waits for this line before it takes the server away.
    process.stdout.write(JSON.stringify({ subscribed: true }) + "\n");
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
        if (notificationsAfterReconnect === 0) {
          recoveryMs = Math.round(performance.now() - lostAtMs);
          note("first data after reconnection");
          recovered();
        }
        notificationsAfterReconnect++;
      }
    });
    // With --until-recovered, a second of data after the first reconnection is enough.
    const untilRecovered = options["until-recovered"] === "true";
    await Promise.race([sleep(seconds * 1000), untilRecovered ? recovery.then(() => sleep(1000)) : new Promise(() => {})]);
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
      recoveryMs,
      sequenceGaps: counter.sequenceGaps,
      timeline,
    };
  } finally {
    await connection.close();
  }
}

/**
 * Reads the nodes' Values every `interval-ms` for `seconds`, on through outages: the client
 * reconnects and restores or recreates its session by itself, and a read that fails or takes
 * over 5 s counts as a failure. Prints {"polling":true} on stdout after the first good read (a
 * caller waits for it before it disturbs the server), then the result: reads, failures, the
 * longest time between two successful reads, and with --samples true each successful read's
 * wall-clock time (Unix ms), values (64-bit integers as numbers), statuses and source times.
 */
async function pollCommand(url, args, options) {
  if (args.length === 0) {
    throw new Error("usage: client.mjs poll <url> <nodeId>... --seconds S [--interval-ms 100] [--samples true]");
  }
  const intervalMs = integerOption(options, "interval-ms", 100, 1, 60_000);
  const seconds = numberOption(options, "seconds", 5, 0.1, 3600);
  const keepSamples = options.samples === "true";
  const request = args.map((text) => ({ nodeId: parseNodeId(text), attributeId: AttributeIds.Value }));
  const connection = await connect(url, { retries: 1_000_000, maxDelayMs: 500, keepSessionAlive: true });
  const result = { nodeIds: args, intervalMs, reads: 0, failures: 0, badValues: 0, gapMsMax: 0, firstFailure: null, samples: [] };
  const started = performance.now();
  let lastGoodMs;
  try {
    while (performance.now() - started < seconds * 1000) {
      const before = performance.now();
      try {
        const values = await readWithin(connection.session, request, 5000);
        const now = performance.now();
        result.reads++;
        result.badValues += values.filter((dataValue) => !isGood(dataValue.statusCode)).length;
        if (lastGoodMs === undefined) {
          process.stdout.write(JSON.stringify({ polling: true }) + "\n");
        } else {
          result.gapMsMax = Math.max(result.gapMsMax, Math.round(now - lastGoodMs));
        }
        lastGoodMs = now;
        if (keepSamples) {
          result.samples.push({
            atUnixMs: Date.now(),
            values: values.map((dataValue) => numberOf(dataValue.value?.value)),
            statuses: values.map((dataValue) => statusName(dataValue.statusCode)),
            sourceUnixMs: values.map((dataValue) => dataValue.sourceTimestamp?.getTime() ?? null),
          });
        }
      } catch (error) {
        result.failures++;
        result.firstFailure ??= describe(error);
      }
      await sleep(Math.max(0, intervalMs - (performance.now() - before)));
    }
    return result;
  } finally {
    await connection.close();
  }
}

/** A Read that fails after `timeoutMs` instead of waiting for a reconnection without end. */
function readWithin(session, request, timeoutMs) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`a Read got no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([session.read(request), timeout]).finally(() => clearTimeout(timer));
}

/** A value as a JSON number where it is one: node-opcua gives 64-bit integers as [high, low]. */
function numberOf(value) {
  if (Array.isArray(value) && value.length === 2 && value.every(Number.isInteger)) {
    return value[0] * 2 ** 32 + value[1];
  }
  return typeof value === "number" || typeof value === "boolean" ? value : jsonValue(value);
}

run(main);
