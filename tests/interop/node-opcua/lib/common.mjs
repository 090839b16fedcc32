// What the scripts share: arguments, the one JSON result on stdout, a clear failure on stderr,
// connecting a node-opcua client (SecurityPolicy None), browsing with BrowseNext, and turning
// node-opcua values into plain JSON.
import os from "node:os";
import path from "node:path";
import { OPCUACertificateManager } from "node-opcua-certificate-manager";
import {
  AttributeIds,
  BrowseDirection,
  DataType,
  MessageSecurityMode,
  NodeClass,
  NodeId,
  OPCUAClient,
  ReferenceTypeIds,
  SecurityPolicy,
  UserTokenType,
  Variant,
  resolveNodeId,
} from "node-opcua-client";
import { realNodeVersion } from "./prelude.mjs";

// node-opcua has loaded by now (it is imported above): Node's real version back (see prelude.mjs).
Object.defineProperty(process, "version", { value: realNodeVersion, configurable: true, enumerable: true, writable: false });

let scriptName = "node-opcua";

/** Names the script in every failure message. */
export function setScriptName(name) {
  scriptName = name;
}

/** Prints the script's one JSON object on stdout and exits 0 once it is written. */
export function emit(result) {
  process.stdout.write(JSON.stringify(result) + "\n", () => process.exit(0));
}

/** Prints a clear message on stderr and exits 1. */
export function fail(message) {
  process.stderr.write(`${scriptName}: ${message}\n`, () => process.exit(1));
  // A write callback may never come if stderr is gone; exit anyway.
  setTimeout(() => process.exit(1), 200).unref();
}

/** Runs main, turning any exception or unhandled rejection into a failure. */
export function run(main) {
  process.on("unhandledRejection", (error) => fail(`unhandled: ${describe(error)}`));
  process.on("uncaughtException", (error) => fail(`uncaught: ${describe(error)}`));
  main().catch((error) => fail(describe(error)));
}

export function describe(error) {
  if (error instanceof Error) {
    return error.message || String(error);
  }
  return String(error);
}

/** Fails the script if it is still running after the given seconds: no run may hang. */
export function watchdog(seconds, what) {
  setTimeout(() => fail(`${what} did not finish within ${seconds} s (watchdog)`), seconds * 1000).unref();
}

/**
 * Splits arguments into positionals and --name value options. Every option takes a value;
 * an option not in `known` is an error that lists the known ones.
 */
export function parseArguments(argv, known) {
  const positionals = [];
  const options = {};
  for (let i = 0; i < argv.length; i++) {
    const argument = argv[i];
    if (!argument.startsWith("--")) {
      positionals.push(argument);
      continue;
    }
    const name = argument.slice(2);
    if (!known.includes(name)) {
      throw new Error(`unknown option ${argument}; known options: ${known.map((k) => "--" + k).join(" ") || "none"}`);
    }
    if (i + 1 >= argv.length) {
      throw new Error(`option ${argument} needs a value`);
    }
    options[name] = argv[++i];
  }
  return { positionals, options };
}

/** A whole number option with bounds, or its default; anything else is an error naming it. */
export function integerOption(options, name, fallback, min, max) {
  return boundedOption(options, name, fallback, min, max, "a whole number", Number.isInteger);
}

/** A number option (seconds may be fractional) with bounds, or its default. */
export function numberOption(options, name, fallback, min, max) {
  return boundedOption(options, name, fallback, min, max, "a number", Number.isFinite);
}

function boundedOption(options, name, fallback, min, max, kind, valid) {
  const text = options[name];
  if (text === undefined) {
    return fallback;
  }
  const value = Number(text);
  if (text.trim() === "" || !valid(value) || value < min || value > max) {
    throw new Error(`--${name} ${text}: expected ${kind} from ${min} to ${max}`);
  }
  return value;
}

/**
 * The command that the first argument names in `commands` (each {options, run}), its
 * positionals (the first is the endpoint URL) and its parsed options.
 */
export function chooseCommand(commands, argv) {
  const [name, ...rest] = argv;
  const command = commands[name];
  if (!command) {
    throw new Error(`unknown command '${name ?? ""}'; commands: ${Object.keys(commands).join(", ")}`);
  }
  const { positionals, options } = parseArguments(rest, command.options);
  return { name, command, url: requireUrl(positionals[0]), args: positionals.slice(1), options };
}

export function requireUrl(url) {
  if (!url || !url.startsWith("opc.tcp://")) {
    throw new Error(`expected an endpoint URL opc.tcp://host:port, got '${url ?? ""}'`);
  }
  return url;
}

let certificateManager;

/**
 * One certificate store per process, kept in the temp folder so the client's self-signed
 * certificate is made once per machine, not once per run, and never in the user's home.
 */
function clientCertificateManager() {
  certificateManager ??= new OPCUACertificateManager({
    rootFolder: path.join(os.tmpdir(), "neokernel-node-opcua-pki", "client"),
    automaticallyAcceptUnknownCertificate: true,
  });
  return certificateManager;
}

/**
 * Connects a client and opens a session: anonymous, or user name and password. SecurityPolicy
 * None. `retries` bounds the connection attempts (a refused port fails fast); the reconnect
 * command passes a large number to keep trying.
 */
export async function connect(url, { user, password, retries = 1, maxDelayMs = 1000, keepSessionAlive = false } = {}) {
  if ((user === undefined) !== (password === undefined)) {
    throw new Error("--user and --password go together");
  }
  const client = OPCUAClient.create({
    applicationName: "neokernel-interop-node-opcua",
    endpointMustExist: false,
    securityMode: MessageSecurityMode.None,
    securityPolicy: SecurityPolicy.None,
    connectionStrategy: { maxRetry: retries, initialDelay: 100, maxDelay: maxDelayMs },
    clientCertificateManager: clientCertificateManager(),
    requestedSessionTimeout: 60_000,
    keepSessionAlive,
  });
  try {
    await client.connect(url);
  } catch (error) {
    throw new Error(`cannot connect to ${url}: ${describe(error)}`);
  }
  const identity = user === undefined ? { type: UserTokenType.Anonymous } : { type: UserTokenType.UserName, userName: user, password };
  let session;
  try {
    session = await client.createSession(identity);
  } catch (error) {
    await client.disconnect().catch(() => {});
    throw new Error(`cannot open a session on ${url}${user === undefined ? "" : ` as ${user}`}: ${describe(error)}`);
  }
  return { client, session, close: () => closeQuietly(client, session) };
}

/** Closes the session and the channel; a server already gone is not an error at the end of a run. */
async function closeQuietly(client, session) {
  const bounded = (promise) => Promise.race([promise.catch(() => {}), new Promise((resolve) => setTimeout(resolve, 2000))]);
  await bounded(session.close());
  await bounded(client.disconnect());
}

/** The status code's name, e.g. "Good" or "BadUserAccessDenied". */
export function statusName(statusCode) {
  return statusCode?.name ?? String(statusCode);
}

/** Severity Good (GoodXxx codes too): the two top bits clear. */
export function isGood(statusCode) {
  return (statusCode.value & 0xc0000000) === 0;
}

export const attributeNames = Object.fromEntries(Object.entries(AttributeIds).filter(([, id]) => typeof id === "number").map(([name, id]) => [id, name]));

const referenceTypeNames = Object.fromEntries(Object.entries(ReferenceTypeIds).map(([name, id]) => [`ns=0;i=${id}`, name]));

/** A node's key: its NodeId as text (ns=N;x=...), the same for a root read and a browse target. */
export function nodeKey(nodeId) {
  return new NodeId(nodeId.identifierType, nodeId.value, nodeId.namespace).toString();
}

function browseDescription(nodeId) {
  return {
    nodeId,
    browseDirection: BrowseDirection.Forward,
    referenceTypeId: resolveNodeId("HierarchicalReferences"),
    includeSubtypes: true,
    nodeClassMask: 0,
    resultMask: 0x3f,
  };
}

/**
 * Browses the forward hierarchical references of many nodes, following every continuation
 * point with BrowseNext. Returns, per node, its status and references. Counts requests in `stats`
 * and, when it has a `latenciesMs` array, adds each request's time to it (ms, request to answer).
 */
export async function browseMany(session, nodeIds, stats) {
  const timed = async (call) => {
    const sent = performance.now();
    const answer = await call();
    stats.latenciesMs?.push(performance.now() - sent);
    return answer;
  };
  const results = await timed(() => session.browse(nodeIds.map(browseDescription)));
  stats.browseRequests++;
  const out = results.map((result) => ({ status: statusName(result.statusCode), references: [...result.references] }));
  let pending = results.map((result, index) => ({ index, point: result.continuationPoint })).filter((p) => p.point && p.point.length > 0);
  while (pending.length > 0) {
    stats.continuationPoints += pending.length;
    const next = await timed(() => session.browseNext(pending.map((p) => p.point), false));
    stats.browseNextRequests++;
    const still = [];
    next.forEach((result, i) => {
      const target = out[pending[i].index];
      if (!isGood(result.statusCode)) {
        target.status = `BrowseNext: ${statusName(result.statusCode)}`;
        return;
      }
      target.references.push(...result.references);
      if (result.continuationPoint && result.continuationPoint.length > 0) {
        still.push({ index: pending[i].index, point: result.continuationPoint });
      }
    });
    pending = still;
  }
  return out;
}

/**
 * Every node reachable from `rootId` over forward hierarchical references, each once, breadth
 * first. Per node: nodeId, browseName, nodeClass, the count of its forward hierarchical
 * references and of each reference type, and its browse status when not Good.
 */
export async function browseAll(session, { rootId = "RootFolder", maxReferencesPerNode = 100, nodesPerBrowse = 50 } = {}) {
  session.requestedMaxReferencesPerNode = maxReferencesPerNode;
  const stats = { browseRequests: 0, browseNextRequests: 0, continuationPoints: 0, externalReferences: 0 };
  const rootNodeId = resolveNodeId(rootId);
  const [browseName, nodeClass] = await session.read([
    { nodeId: rootNodeId, attributeId: AttributeIds.BrowseName },
    { nodeId: rootNodeId, attributeId: AttributeIds.NodeClass },
  ]);
  if (!isGood(browseName.statusCode)) {
    throw new Error(`the browse root ${rootNodeId.toString()} does not read: BrowseName ${statusName(browseName.statusCode)}`);
  }
  const nodes = new Map();
  const root = { nodeId: nodeKey(rootNodeId), browseName: browseName.value.value.toString(), nodeClass: NodeClass[nodeClass.value.value], references: 0, referenceTypes: {} };
  nodes.set(root.nodeId, root);
  const queue = [root];
  while (queue.length > 0) {
    const batch = queue.splice(0, nodesPerBrowse);
    const results = await browseMany(session, batch.map((node) => node.nodeId), stats);
    results.forEach((result, i) => {
      const node = batch[i];
      if (result.status !== "Good") {
        node.browseStatus = result.status;
      }
      for (const reference of result.references) {
        node.references++;
        const typeKey = nodeKey(reference.referenceTypeId);
        const typeName = referenceTypeNames[typeKey] ?? typeKey;
        node.referenceTypes[typeName] = (node.referenceTypes[typeName] ?? 0) + 1;
        if (reference.nodeId.serverIndex) {
          stats.externalReferences++;
          continue;
        }
        const key = nodeKey(reference.nodeId);
        if (!nodes.has(key)) {
          const child = { nodeId: key, browseName: reference.browseName.toString(), nodeClass: NodeClass[reference.nodeClass], references: 0, referenceTypes: {} };
          nodes.set(key, child);
          queue.push(child);
        }
      }
    });
  }
  return { nodes: [...nodes.values()], stats };
}

/**
 * The nodes a --nodes option names: a comma-separated list of NodeIds, or a browse path from the
 * root folder by browse names ending in `*`, e.g. /Objects/Regions/bench/*, meaning every Variable
 * below the last folder, in browse order. A name before the last may hold `*` too, matching any
 * run of characters (`bench.*` matches bench.sine, bench.ramp and bench.noise): then the Variables
 * of every matching folder are taken, folder after folder in browse order, for a server that
 * splits its points over several folders. Names match without their namespace index, so the same pattern fits any
 * server that lays its nodes out that way. `limit` keeps the first N.
 */
export async function resolveNodes(session, spec, limit = Infinity) {
  if (!spec) {
    throw new Error("--nodes is required: NodeIds separated by commas, or a browse path such as /Objects/Regions/bench/*");
  }
  let nodeIds;
  if (spec.startsWith("/")) {
    const parts = spec.split("/").filter((p) => p.length > 0);
    if (parts.length === 0 || parts[parts.length - 1] !== "*") {
      throw new Error(`--nodes ${spec}: a browse path must end in /*`);
    }
    session.requestedMaxReferencesPerNode = 1000;
    const stats = { browseRequests: 0, browseNextRequests: 0, continuationPoints: 0 };
    let folders = [resolveNodeId("RootFolder").toString()];
    for (const name of parts.slice(0, -1)) {
      folders = await childrenNamed(session, folders, name, spec, stats);
    }
    // One folder a Browse: a server holds only so many continuation points for a session at once
    // (ours 16), and a folder of thousands of points needs one until its last BrowseNext.
    nodeIds = [];
    for (const folder of folders) {
      const [children] = await browseMany(session, [folder], stats);
      if (children.status !== "Good") {
        throw new Error(`--nodes ${spec}: browsing ${folder} answered ${children.status}`);
      }
      nodeIds.push(...children.references.filter((r) => r.nodeClass === NodeClass.Variable).map((r) => nodeKey(r.nodeId)));
    }
  } else {
    nodeIds = spec.split(",").map((id) => id.trim()).filter((id) => id.length > 0).map((id) => nodeKey(parseNodeId(id)));
  }
  if (nodeIds.length === 0) {
    throw new Error(`--nodes ${spec}: names no node`);
  }
  return nodeIds.slice(0, limit);
}

/** The children of `parents` whose browse name matches `pattern` (`*`: any run of characters), in browse order; none is an error naming what is there. */
async function childrenNamed(session, parents, pattern, spec, stats) {
  const glob = new RegExp("^" + pattern.split("*").map((text) => text.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*") + "$");
  const results = await browseMany(session, parents, stats);
  const matches = results.flatMap((result) => result.references.filter((r) => glob.test(r.browseName.name)).map((r) => nodeKey(r.nodeId)));
  if (matches.length === 0) {
    const names = results.flatMap((result) => result.references.map((r) => r.browseName.name));
    throw new Error(`--nodes ${spec}: no child named '${pattern}' under ${parents.join(", ")} (children: ${names.slice(0, 20).join(", ")})`);
  }
  return matches;
}

export function parseNodeId(text) {
  try {
    return resolveNodeId(text);
  } catch (error) {
    throw new Error(`'${text}' is not a NodeId (e.g. ns=1;s=Regions/bench/p00000 or i=2258): ${describe(error)}`);
  }
}

/** A node-opcua value as plain JSON: numbers, strings, arrays, NodeIds and texts as strings. */
export function jsonValue(value) {
  if (value === null || value === undefined) {
    return null;
  }
  if (typeof value === "bigint") {
    return value.toString();
  }
  if (value instanceof Date) {
    return value.toISOString();
  }
  if (Buffer.isBuffer(value)) {
    return value.toString("base64");
  }
  if (ArrayBuffer.isView(value) || Array.isArray(value)) {
    return Array.from(value, jsonValue);
  }
  if (typeof value === "object") {
    if (value instanceof NodeId || value.constructor?.name === "ExpandedNodeId" || value.constructor?.name === "QualifiedName") {
      return value.toString();
    }
    if (value.constructor?.name === "LocalizedText") {
      return value.text;
    }
    if (value.constructor?.name === "StatusCode" || value.constructor?.name === "ConstantStatusCode") {
      return value.name;
    }
    if (value.constructor?.name === "Variant") {
      return jsonVariant(value);
    }
    if (value.schema?.fields) {
      // A structure (ExtensionObject): its fields by name.
      return Object.fromEntries(value.schema.fields.map((field) => [field.name, jsonValue(value[field.name])]));
    }
    return value.toString();
  }
  return value;
}

/** A Variant as {dataType, value}. */
export function jsonVariant(variant) {
  return { dataType: DataType[variant.dataType], value: jsonValue(variant.value) };
}

const integerRanges = {
  SByte: [-128, 127],
  Byte: [0, 255],
  Int16: [-32768, 32767],
  UInt16: [0, 65535],
  Int32: [-2147483648, 2147483647],
  UInt32: [0, 4294967295],
};

/** A typed value from the command line ("Double" and "3.5"), as a Variant; an impossible value is an error. */
export function variantFrom(dataTypeName, text) {
  const dataType = DataType[dataTypeName];
  if (typeof dataType !== "number") {
    throw new Error(`'${dataTypeName}' is not a data type; use one of Boolean, SByte, Byte, Int16, UInt16, Int32, UInt32, Int64, UInt64, Float, Double, String, DateTime`);
  }
  switch (dataTypeName) {
    case "Boolean":
      if (!["true", "false", "1", "0"].includes(text)) {
        throw new Error(`Boolean value '${text}': expected true, false, 1 or 0`);
      }
      return new Variant({ dataType, value: text === "true" || text === "1" });
    case "Float":
    case "Double": {
      const value = Number(text);
      if (text.trim() === "" || Number.isNaN(value)) {
        throw new Error(`${dataTypeName} value '${text}' is not a number`);
      }
      return new Variant({ dataType, value });
    }
    case "Int64":
    case "UInt64": {
      let big;
      try {
        big = BigInt(text);
      } catch {
        throw new Error(`${dataTypeName} value '${text}' is not a whole number`);
      }
      const unsigned = BigInt.asUintN(64, big);
      return new Variant({ dataType, value: [Number(unsigned >> 32n), Number(unsigned & 0xffffffffn)] });
    }
    case "String":
      return new Variant({ dataType, value: text });
    case "DateTime": {
      const date = new Date(text);
      if (Number.isNaN(date.getTime())) {
        throw new Error(`DateTime value '${text}' is not a date (use ISO 8601)`);
      }
      return new Variant({ dataType, value: date });
    }
    default: {
      const range = integerRanges[dataTypeName];
      if (!range) {
        throw new Error(`data type ${dataTypeName} is not supported on the command line; use one of Boolean, SByte, Byte, Int16, UInt16, Int32, UInt32, Int64, UInt64, Float, Double, String, DateTime`);
      }
      const value = Number(text);
      if (!Number.isInteger(value) || value < range[0] || value > range[1]) {
        throw new Error(`${dataTypeName} value '${text}': expected a whole number from ${range[0]} to ${range[1]}`);
      }
      return new Variant({ dataType, value });
    }
  }
}

/** Nearest-rank percentile of ascending sorted numbers. */
export function percentile(sorted, p) {
  if (sorted.length === 0) {
    return null;
  }
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1];
}

export function median(values) {
  return percentile([...values].sort((a, b) => a - b), 50);
}

export const round = (value, digits = 3) => (value === null ? null : Number(value.toFixed(digits)));

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
