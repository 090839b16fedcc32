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
  constructor(items) {
    this.perItem = new Uint32Array(items);
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

/**
 * Creates a subscription publishing every `intervalMs` and a Value item sampling every
 * `intervalMs` for each node (queue of `queueSize`, discard oldest), counting into a
 * NotificationCounter. A monitored item the server refuses is an error that names it.
 */
export async function subscribeValues(session, nodeIds, { intervalMs, queueSize = 10 }) {
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
  const counter = new NotificationCounter(nodeIds.length);
  subscription.on("raw_notification", (message) => counter.onMessage(message));
  for (let base = 0; base < nodeIds.length; base += itemsPerCall) {
    const chunk = nodeIds.slice(base, base + itemsPerCall);
    const group = await subscription.monitorItems(
      chunk.map((nodeId) => ({ nodeId, attributeId: AttributeIds.Value })),
      { samplingInterval: intervalMs, queueSize, discardOldest: true },
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
