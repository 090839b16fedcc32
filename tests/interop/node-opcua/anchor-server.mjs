// The benchmark's anchor and the harness's test peer: a node-opcua server exposing N Double
// variables under Objects/Regions/bench/<point> (NodeIds ns=1;s=Regions/bench/pNNNNN), all changed
// every interval (even points a sine, odd points a ramp), anonymous, SecurityPolicy None, on
// 127.0.0.1 only. Prints {"ready":true,"endpoint":...} once listening; stops on SIGTERM or SIGINT.
//
//   node anchor-server.mjs --port P --points N [--interval-ms 100]
import "./lib/prelude.mjs";
import os from "node:os";
import path from "node:path";
import { OPCUACertificateManager } from "node-opcua-certificate-manager";
import { DataType, MessageSecurityMode, SecurityPolicy, StatusCodes, Variant } from "node-opcua-client";
import { OPCUAServer } from "node-opcua-server";
import { describe, integerOption, parseArguments, run, setScriptName } from "./lib/common.mjs";

setScriptName("anchor-server.mjs");

/** Sessions and monitored items allowed: enough for the 50 × 1000 scale benchmark, with room. */
const sessionsMax = 200;
const monitoredItemsMax = 200_000;

function pointName(index) {
  return `p${String(index).padStart(5, "0")}`;
}

async function main() {
  const { positionals, options } = parseArguments(process.argv.slice(2), ["port", "points", "interval-ms"]);
  if (positionals.length > 0) {
    throw new Error(`unexpected argument '${positionals[0]}'; usage: anchor-server.mjs --port P --points N [--interval-ms 100]`);
  }
  if (options.port === undefined || options.points === undefined) {
    throw new Error("usage: anchor-server.mjs --port P --points N [--interval-ms 100]");
  }
  const port = integerOption(options, "port", 0, 1, 65535);
  const points = integerOption(options, "points", 0, 1, 1_000_000);
  const intervalMs = integerOption(options, "interval-ms", 100, 10, 60_000);

  const server = new OPCUAServer({
    port,
    host: "127.0.0.1",
    hostname: "127.0.0.1",
    allowAnonymous: true,
    securityPolicies: [SecurityPolicy.None],
    securityModes: [MessageSecurityMode.None],
    serverCertificateManager: new OPCUACertificateManager({
      rootFolder: path.join(os.tmpdir(), "neokernel-node-opcua-pki", "server"),
      automaticallyAcceptUnknownCertificate: true,
    }),
    maxConnectionsPerEndpoint: sessionsMax,
    serverCapabilities: {
      maxSessions: sessionsMax,
      maxSubscriptions: sessionsMax * 4,
      maxSubscriptionsPerSession: 10,
      maxMonitoredItems: monitoredItemsMax,
      maxMonitoredItemsPerSubscription: monitoredItemsMax,
    },
    buildInfo: { productName: "neokernel-anchor (node-opcua)", buildNumber: "1" },
  });
  await server.initialize();

  const namespace = server.engine.addressSpace.getOwnNamespace();
  const regions = namespace.addFolder(server.engine.addressSpace.rootFolder.objects, { browseName: "Regions", nodeId: "s=Regions" });
  const bench = namespace.addFolder(regions, { browseName: "bench", nodeId: "s=Regions/bench" });
  const variables = [];
  for (let i = 0; i < points; i++) {
    const name = pointName(i);
    variables.push(
      namespace.addVariable({
        componentOf: bench,
        browseName: name,
        nodeId: `s=Regions/bench/${name}`,
        dataType: "Double",
        minimumSamplingInterval: intervalMs,
        value: new Variant({ dataType: DataType.Double, value: 0 }),
      }),
    );
  }

  // Every point changes at every tick, so a subscriber that misses none sees one change per item per tick.
  let tick = 0;
  const last = new Float64Array(points);
  const timer = setInterval(() => {
    tick++;
    const now = new Date();
    for (let i = 0; i < points; i++) {
      let value = i % 2 === 0 ? 100 * Math.sin((2 * Math.PI * tick) / 50 + i * 0.001 + 0.1234) : (tick + i) % 1000;
      if (value === last[i]) {
        value += 1e-9;
      }
      last[i] = value;
      variables[i].setValueFromSource(new Variant({ dataType: DataType.Double, value }), StatusCodes.Good, now);
    }
  }, intervalMs);

  await server.start();
  const endpoint = `opc.tcp://127.0.0.1:${port}`;
  process.stdout.write(JSON.stringify({ ready: true, endpoint, points, intervalMs, pid: process.pid }) + "\n");

  let stopping = false;
  const stop = async () => {
    if (stopping) {
      return;
    }
    stopping = true;
    clearInterval(timer);
    await Promise.race([server.shutdown(0).catch(() => {}), new Promise((resolve) => setTimeout(resolve, 2000))]);
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

run(() =>
  main().catch((error) => {
    throw new Error(`cannot serve: ${describe(error)}`);
  }),
);
