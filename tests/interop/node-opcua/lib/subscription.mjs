// A subscription over many Value items, counting what arrives: data-change notifications per
// item, and gaps in the notification messages' sequence numbers (each message with data takes
// the next number, so a gap is a message the client never saw).
import { AttributeIds, ClientSubscription, TimestampsToReturn } from "node-opcua-client";
import { describe, isGood, statusName } from "./common.mjs";

/** Items created per CreateMonitoredItems call: stays under a server's MaxMonitoredItemsPerCall. */
const itemsPerCall = 500;

/** The StatusCode bit that says a monitored item's queue overflowed (a value was dropped). */
const overflowBit = 0x80;

export class NotificationCounter {
  /** `trackChanges` keeps each item's source times and values for {@link changes} (memory grows with the run). */
  constructor(items, { trackChanges = false } = {}) {
    this.perItem = new Uint32Array(items);
    this.trackChanges = trackChanges;
    this.reset();
  }

  /** Starts a new counting window; the sequence continues from the last message seen. */
  reset() {
    this.perItem.fill(0);
    this.notifications = 0;
    this.messages = 0;
    this.keepAlives = 0;
    this.sequenceGaps = 0;
    this.missedMessages = 0;
    this.outOfOrder = 0;
    this.overflows = 0;
    this.badValues = 0;
    this.series = this.trackChanges ? Array.from(this.perItem, () => []) : null;
    this.startedMs = performance.now();
  }

  onMessage(message) {
    const hasData = (message.notificationData ?? []).length > 0;
    if (!hasData) {
      this.keepAlives++;
      return;
    }
    this.messages++;
    const sequence = message.sequenceNumber;
    if (this.lastSequence !== undefined) {
      if (sequence > this.lastSequence + 1) {
        this.sequenceGaps++;
        this.missedMessages += sequence - this.lastSequence - 1;
      } else if (sequence <= this.lastSequence) {
        this.outOfOrder++;
      }
    }
    this.lastSequence = sequence;
  }

  onChange(index, dataValue) {
    this.perItem[index]++;
    this.notifications++;
    const code = dataValue.statusCode.value;
    if (code & overflowBit) {
      this.overflows++;
    }
    if (!isGood(dataValue.statusCode)) {
      this.badValues++;
    }
    if (this.series) {
      this.series[index].push([dataValue.sourceTimestamp?.getTime() ?? null, dataValue.value?.value]);
    }
  }

  /**
   * Whether every change of the source reached the client, for items whose source changes every
   * `changeMs` (one writer that stamps all of them in the same cycle, as one region of the signal
   * generator): consecutive notifications of an item whose values are equal (`repeatedValues`),
   * whose source times are more than 1.5 change periods apart (`sourceGaps`), and the source
   * cycles other items were notified of that fall between them (`lostChanges`: a change this
   * item's stream skipped while the source did write it). A cycle the source itself skipped is a
   * source gap of every item but no lost change.
   */
  changes(changeMs) {
    const cycles = sourceCycles(this.series, changeMs);
    const intervals = [];
    const result = { repeatedValues: 0, sourceGaps: 0, lostChanges: 0, sourceTimesMissing: 0, sourceTimesBackwards: 0 };
    for (const series of this.series) {
      for (let i = 1; i < series.length; i++) {
        const [t0, v0] = series[i - 1];
        const [t1, v1] = series[i];
        if (t0 === null || t1 === null) {
          result.sourceTimesMissing++;
          continue;
        }
        if (t1 <= t0) {
          result.sourceTimesBackwards++;
        }
        intervals.push(t1 - t0);
        result.repeatedValues += v0 === v1 ? 1 : 0;
        result.sourceGaps += t1 - t0 > 1.5 * changeMs ? 1 : 0;
        result.lostChanges += countInside(cycles, t0 + changeMs / 2, t1 - changeMs / 2);
      }
    }
    intervals.sort((a, b) => a - b);
    return {
      changeMs,
      ...result,
      sourceCycles: cycles.length,
      sourceIntervalMinMs: intervals[0] ?? null,
      sourceIntervalMedianMs: intervals[Math.floor(intervals.length / 2)] ?? null,
      sourceIntervalMaxMs: intervals[intervals.length - 1] ?? null,
    };
  }

  /** The window's counts; per-item counts only when asked (they are long). */
  summary(nodeIds, { perItem = false } = {}) {
    const seconds = (performance.now() - this.startedMs) / 1000;
    const counts = Array.from(this.perItem);
    const sorted = [...counts].sort((a, b) => a - b);
    const result = {
      seconds: Number(seconds.toFixed(3)),
      items: counts.length,
      notifications: this.notifications,
      notificationsPerSecond: Number((this.notifications / seconds).toFixed(1)),
      messages: this.messages,
      keepAlives: this.keepAlives,
      sequenceGaps: this.sequenceGaps,
      missedMessages: this.missedMessages,
      outOfOrder: this.outOfOrder,
      overflows: this.overflows,
      badValues: this.badValues,
      itemsWithoutChange: counts.filter((c) => c === 0).length,
      perItemMin: sorted[0] ?? 0,
      perItemMax: sorted[sorted.length - 1] ?? 0,
    };
    if (perItem) {
      result.perItem = nodeIds.map((nodeId, i) => ({ nodeId, notifications: counts[i] }));
    }
    return result;
  }
}

/** The source's write cycles seen by any item: source times grouped where they lie within half a change period of the group's first. */
function sourceCycles(series, changeMs) {
  const times = series.flatMap((items) => items.map(([t]) => t)).filter((t) => t !== null).sort((a, b) => a - b);
  const cycles = [];
  for (const t of times) {
    if (cycles.length === 0 || t - cycles[cycles.length - 1] > changeMs / 2) {
      cycles.push(t);
    }
  }
  return cycles;
}

/** How many of the ascending `sorted` lie strictly between `low` and `high`. */
function countInside(sorted, low, high) {
  let count = 0;
  for (const t of sorted) {
    if (t >= high) {
      break;
    }
    count += t > low ? 1 : 0;
  }
  return count;
}

/**
 * Creates a subscription publishing every `intervalMs` and a Value item sampling every
 * `samplingMs` (default `intervalMs`) for each node (queue of `queueSize`, discard oldest),
 * counting into a NotificationCounter. A monitored item the server refuses is an error that names it.
 */
export async function subscribeValues(session, nodeIds, { intervalMs, samplingMs = intervalMs, queueSize = 10, trackChanges = false }) {
  const subscription = ClientSubscription.create(session, {
    requestedPublishingInterval: intervalMs,
    requestedLifetimeCount: 600,
    requestedMaxKeepAliveCount: 10,
    maxNotificationsPerPublish: 0,
    publishingEnabled: true,
    priority: 1,
  });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("CreateSubscription got no answer within 10 s")), 10_000);
    subscription.once("started", () => {
      clearTimeout(timer);
      resolve();
    });
    subscription.once("internal_error", (error) => {
      clearTimeout(timer);
      reject(new Error(`CreateSubscription failed: ${describe(error)}`));
    });
  });
  const counter = new NotificationCounter(nodeIds.length, { trackChanges });
  subscription.on("raw_notification", (message) => counter.onMessage(message));
  for (let base = 0; base < nodeIds.length; base += itemsPerCall) {
    const chunk = nodeIds.slice(base, base + itemsPerCall);
    const group = await subscription.monitorItems(
      chunk.map((nodeId) => ({ nodeId, attributeId: AttributeIds.Value })),
      { samplingInterval: samplingMs, queueSize, discardOldest: true },
      TimestampsToReturn.Both,
    );
    const refused = group.monitoredItems.map((item, i) => ({ nodeId: chunk[i], status: item.statusCode })).filter((item) => item.status && !isGood(item.status));
    if (refused.length > 0) {
      throw new Error(`the server refused ${refused.length} monitored item(s), first ${refused[0].nodeId}: ${statusName(refused[0].status)}`);
    }
    group.on("changed", (_item, dataValue, index) => counter.onChange(base + index, dataValue));
  }
  return { subscription, counter };
}
