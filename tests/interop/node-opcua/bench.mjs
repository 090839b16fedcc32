// The OPC UA benchmarks' client (issue 9): the same node-opcua client against our gateway and
// against node-opcua's own server, the anchor. Each command prints one JSON object on stdout.
//
//   node bench.mjs reads <url> --nodes <list|/Objects/Regions/bench/*> [--batch 100] [--outstanding 1] [--seconds 5] [--warmup-seconds 1] [--server-pid P]
//   node bench.mjs notifications <url> [--nodes /Objects/Regions/bench/*] [--items 1000] [--interval-ms 100] [--seconds 5] [--warmup-seconds 2] [--server-pid P]
//
// With --server-pid, the server process's CPU over the measured window (user + system time from
// /proc/P/stat) is reported too, as serverCpuPercent of one core.
//   node bench.mjs sessions <url> [--nodes /Objects/Regions/bench/*] [--sessions 50] [--items 1000] [--interval-ms 100] [--seconds 5] [--warmup-seconds 3] [--server-pid P]
//   node bench.mjs browse <url> [--root /Objects/Regions] [--max-refs 1000] [--seconds 5] [--warmup-seconds 1] [--server-pid P]
import "./lib/prelude.mjs";
import { readFileSync } from "node:fs";
import { AttributeIds, NodeClass, resolveNodeId } from "node-opcua-client";
import {
  browseMany,
  chooseCommand,
  connect,
  emit,
  integerOption,
  isGood,
  median,
  nodeKey,
  numberOption,
  percentile,
  resolveNodes,
  round,
  run,
  setScriptName,
  sleep,
  watchdog,
} from "./lib/common.mjs";
import { subscribeValues } from "./lib/subscription.mjs";

setScriptName("bench.mjs");

const defaultNodes = "/Objects/Regions/bench/*";

const commands = {
  reads: { options: ["nodes", "batch", "outstanding", "seconds", "warmup-seconds", "server-pid"], run: readsCommand },
  notifications: { options: ["nodes", "items", "interval-ms", "seconds", "warmup-seconds", "server-pid"], run: notificationsCommand },
  sessions: { options: ["nodes", "sessions", "items", "interval-ms", "seconds", "warmup-seconds", "server-pid"], run: sessionsCommand },
  browse: { options: ["root", "max-refs", "seconds", "warmup-seconds", "server-pid"], run: browseCommand },
};

async function main() {
  const { name, command, url, args, options } = chooseCommand(commands, process.argv.slice(2));
  if (args.length > 0) {
    throw new Error(`unexpected argument '${args[0]}'; usage: bench.mjs ${name} <url> [options]`);
  }
  const seconds = numberOption(options, "seconds", 5, 0.5, 600);
  const warmupSeconds = numberOption(options, "warmup-seconds", name === "reads" || name === "browse" ? 1 : 2, 0, 60);
  watchdog(seconds + warmupSeconds + 180, name);
  emit({ command: name, url, ...(await command.run(url, options, seconds, warmupSeconds)) });
}

/** USER_HZ, the unit of /proc/PID/stat's times: 100 on every Linux architecture. */
const clockTicksPerSecond = 100;

/** The CPU time a process has used so far, in seconds; null without a pid. */
function cpuSeconds(pid) {
  if (pid === undefined) {
    return null;
  }
  let stat;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch (error) {
    throw new Error(`--server-pid ${pid}: cannot read /proc/${pid}/stat (${error.code ?? error.message}): is the server running?`);
  }
  // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond;
}

/** Measures the server's CPU share (% of one core) over an interval: start() then stop(). */
function serverCpu(options) {
  const pid = options["server-pid"] === undefined ? undefined : integerOption(options, "server-pid", 0, 1, 4_194_304);
  let cpuStart;
  let wallStart;
  return {
    start() {
      cpuStart = cpuSeconds(pid);
      wallStart = performance.now();
    },
    stop() {
      if (pid === undefined) {
        return {};
      }
      const cpu = cpuSeconds(pid) - cpuStart;
      return { serverCpuPercent: round((cpu / ((performance.now() - wallStart) / 1000)) * 100, 1) };
    },
  };
}

/** Read requests of `batch` Value attributes each, the batches walking round the node list. */
function readRequests(nodeIds, batch) {
  const requests = [];
  const count = Math.max(1, Math.ceil(nodeIds.length / batch));
  for (let r = 0; r < count; r++) {
    requests.push(Array.from({ length: batch }, (_, i) => ({ nodeId: resolveNodeId(nodeIds[(r * batch + i) % nodeIds.length]), attributeId: AttributeIds.Value })));
  }
  return requests;
}

/**
 * `outstanding` loops, each sending its next Read as soon as the last one is answered, for the
 * warm-up and then the measured seconds; latency is request to response, in ms.
 */
async function readLoad(session, requests, outstanding, seconds, warmupSeconds, cpu = serverCpu({})) {
  const latenciesMs = [];
  let badValues = 0;
  let next = 0;
  const measureFrom = performance.now() + warmupSeconds * 1000;
  const end = measureFrom + seconds * 1000;
  const loop = async () => {
    while (performance.now() < end) {
      const request = requests[next++ % requests.length];
      const sent = performance.now();
      const values = await session.read(request);
      const answered = performance.now();
      if (values.length !== request.length) {
        throw new Error(`a Read of ${request.length} nodes answered ${values.length} results`);
      }
      if (sent >= measureFrom && answered <= end) {
        latenciesMs.push(answered - sent);
        for (const value of values) {
          if (!isGood(value.statusCode)) {
            badValues++;
          }
        }
      }
    }
  };
  // The server's CPU is measured over the same window as the latencies.
  setTimeout(() => cpu.start(), warmupSeconds * 1000);
  await Promise.all(Array.from({ length: outstanding }, loop));
  const cpuShare = cpu.stop();
  latenciesMs.sort((a, b) => a - b);
  return {
    requests: latenciesMs.length,
    requestsPerSecond: round(latenciesMs.length / seconds, 1),
    p50Ms: round(percentile(latenciesMs, 50)),
    p99Ms: round(percentile(latenciesMs, 99)),
    meanMs: round(latenciesMs.reduce((a, b) => a + b, 0) / Math.max(1, latenciesMs.length)),
    badValues,
    ...cpuShare,
  };
}

async function readsCommand(url, options, seconds, warmupSeconds) {
  const batch = integerOption(options, "batch", 100, 1, 100_000);
  const outstanding = integerOption(options, "outstanding", 1, 1, 64);
  const connection = await connect(url);
  try {
    const nodeIds = await resolveNodes(connection.session, options.nodes ?? defaultNodes);
    const result = await readLoad(connection.session, readRequests(nodeIds, batch), outstanding, seconds, warmupSeconds, serverCpu(options));
    return { nodes: nodeIds.length, batch, outstanding, seconds, ...result };
  } finally {
    await connection.close();
  }
}

async function notificationsCommand(url, options, seconds, warmupSeconds) {
  const items = integerOption(options, "items", 1000, 1, 1_000_000);
  const intervalMs = integerOption(options, "interval-ms", 100, 1, 60_000);
  const connection = await connect(url);
  try {
    const nodeIds = await resolveNodes(connection.session, options.nodes ?? defaultNodes, items);
    if (nodeIds.length < items) {
      throw new Error(`--items ${items}, but the server has only ${nodeIds.length} nodes under ${options.nodes ?? defaultNodes}`);
    }
    const { subscription, counter } = await subscribeValues(connection.session, nodeIds, { intervalMs });
    const cpu = serverCpu(options);
    await sleep(warmupSeconds * 1000);
    counter.reset();
    cpu.start();
    await sleep(seconds * 1000);
    const summary = { ...counter.summary(nodeIds), ...cpu.stop() };
    await subscription.terminate().catch(() => {});
    const expected = (items * summary.seconds * 1000) / intervalMs;
    return { intervalMs, revisedPublishingIntervalMs: subscription.publishingInterval, expectedPerSecond: round((items * 1000) / intervalMs, 1), deliveredRatio: round(summary.notifications / expected, 4), ...summary };
  } finally {
    await connection.close();
  }
}

/**
 * `sessions` clients, each on its own connection with a subscription of `items` items, the first
 * of them also reading 100 nodes at a time with one request outstanding: per-session notification
 * rates and the read latency while the server carries them all.
 */
async function sessionsCommand(url, options, seconds, warmupSeconds) {
  const sessionCount = integerOption(options, "sessions", 50, 1, 1000);
  const items = integerOption(options, "items", 1000, 1, 1_000_000);
  const intervalMs = integerOption(options, "interval-ms", 100, 1, 60_000);
  const connections = [];
  try {
    const reader = await connect(url);
    connections.push(reader);
    const nodeIds = await resolveNodes(reader.session, options.nodes ?? defaultNodes);
    const subscribed = [];
    for (let s = 0; s < sessionCount; s++) {
      // The first session subscribes too: the sessions are `sessions` in all, one of them reading.
      const connection = s === 0 ? reader : await connect(url);
      if (s > 0) {
        connections.push(connection);
      }
      const offset = (s * items) % nodeIds.length;
      const mine = Array.from({ length: items }, (_, i) => nodeIds[(offset + i) % nodeIds.length]);
      subscribed.push(await subscribeValues(connection.session, mine, { intervalMs }));
    }
    await sleep(warmupSeconds * 1000);
    for (const { counter } of subscribed) {
      counter.reset();
    }
    const reads = await readLoad(reader.session, readRequests(nodeIds, 100), 1, seconds, 0, serverCpu(options));
    const perSession = subscribed.map(({ counter }) => counter.summary([]));
    const rates = perSession.map((s) => s.notificationsPerSecond);
    const expectedPerSecond = (items * 1000) / intervalMs;
    return {
      sessions: sessionCount,
      items,
      intervalMs,
      seconds,
      expectedPerSessionPerSecond: round(expectedPerSecond, 1),
      perSessionNotificationsPerSecond: rates,
      perSessionMin: Math.min(...rates),
      perSessionMedian: median(rates),
      perSessionMax: Math.max(...rates),
      totalNotificationsPerSecond: round(rates.reduce((a, b) => a + b, 0), 1),
      sequenceGaps: perSession.reduce((a, s) => a + s.sequenceGaps, 0),
      missedMessages: perSession.reduce((a, s) => a + s.missedMessages, 0),
      overflows: perSession.reduce((a, s) => a + s.overflows, 0),
      readWhileLoaded: reads,
      ...(reads.serverCpuPercent === undefined ? {} : { serverCpuPercent: reads.serverCpuPercent }),
    };
  } finally {
    await Promise.all(connections.map((c) => c.close()));
  }
}

/**
 * A client discovering the points: the tree under `root` (folders and objects; Variables are
 * counted, not browsed further), each node's forward hierarchical references with BrowseNext on
 * every continuation point, walked again and again for the warm-up and then the measured seconds.
 * Latency is per Browse or BrowseNext request, in ms; a walk's time is the whole tree once.
 */
async function browseCommand(url, options, seconds, warmupSeconds) {
  const maxReferences = integerOption(options, "max-refs", 1000, 1, 100_000);
  const rootPath = options.root ?? "/Objects/Regions";
  const connection = await connect(url);
  try {
    connection.session.requestedMaxReferencesPerNode = maxReferences;
    const rootId = await resolvePath(connection.session, rootPath);
    const cpu = serverCpu(options);
    const latenciesMs = [];
    const walksMs = [];
    let references = 0;
    let variables = 0;
    const measureFrom = performance.now() + warmupSeconds * 1000;
    const end = measureFrom + seconds * 1000;
    let measuredFrom;
    do {
      if (measuredFrom === undefined && performance.now() >= measureFrom) {
        measuredFrom = performance.now();
        cpu.start();
      }
      const measuring = measuredFrom !== undefined;
      const walk = await walkTree(connection.session, rootId, measuring ? latenciesMs : []);
      if (measuring) {
        walksMs.push(walk.ms);
        references += walk.references;
      }
      variables = walk.variables;
    } while (performance.now() < end || walksMs.length === 0);
    const cpuShare = cpu.stop();
    const measuredSeconds = (performance.now() - measuredFrom) / 1000;
    latenciesMs.sort((a, b) => a - b);
    walksMs.sort((a, b) => a - b);
    return {
      root: rootPath,
      maxReferencesPerNode: maxReferences,
      variables,
      walks: walksMs.length,
      walkMsMedian: round(median(walksMs)),
      requests: latenciesMs.length,
      requestP50Ms: round(percentile(latenciesMs, 50)),
      requestP99Ms: round(percentile(latenciesMs, 99)),
      referencesPerSecond: round(references / measuredSeconds, 1),
      ...cpuShare,
    };
  } finally {
    await connection.close();
  }
}

/** The NodeId at a browse path of names from the root folder, e.g. /Objects/Regions. */
async function resolvePath(session, path) {
  let current = nodeKey(resolveNodeId("RootFolder"));
  for (const name of path.split("/").filter((p) => p.length > 0)) {
    const [result] = await browseMany(session, [current], browseStats([]));
    const match = result.references.find((r) => r.browseName.name === name);
    if (!match) {
      throw new Error(`--root ${path}: no child named '${name}' under ${current} (children: ${result.references.map((r) => r.browseName.name).slice(0, 20).join(", ")})`);
    }
    current = nodeKey(match.nodeId);
  }
  return current;
}

/** Request counters for browseMany that time every request into `latenciesMs`. */
function browseStats(latenciesMs) {
  return { browseRequests: 0, browseNextRequests: 0, continuationPoints: 0, latenciesMs };
}

/**
 * Nodes a walk's Browse request names at most: each may need a continuation point until its last
 * BrowseNext, and a server holds only so many for a session at once (ours 16, node-opcua's 10).
 */
const nodesPerBrowse = 8;

/** One walk of the tree under `rootId`, breadth first: its time, its references and its Variables. */
async function walkTree(session, rootId, latenciesMs) {
  const started = performance.now();
  let references = 0;
  let variables = 0;
  const queue = [rootId];
  while (queue.length > 0) {
    const results = await browseMany(session, queue.splice(0, nodesPerBrowse), browseStats(latenciesMs));
    for (const result of results) {
      if (result.status !== "Good") {
        throw new Error(`browsing the tree: a node answered ${result.status}`);
      }
      references += result.references.length;
      for (const reference of result.references) {
        if (reference.nodeClass === NodeClass.Variable) {
          variables++;
        } else if (reference.nodeClass === NodeClass.Object) {
          queue.push(nodeKey(reference.nodeId));
        }
      }
    }
  }
  return { ms: performance.now() - started, references, variables };
}

run(main);
