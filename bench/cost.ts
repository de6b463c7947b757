import { toMessage } from '../functions/fan-out/message.js';
import { createEventReader } from '../functions/ingest/event-reader.js';
import { classifyBatch } from '../functions/ingest/ingest-batch.js';
import { parseBatch } from '../functions/ingest/request-body.js';
import { CAMPAIGN_EVENT_TYPES, type CampaignEventType } from '../functions/shared/campaign-event-types.js';
import { itemBytes } from '../functions/shared/events/attribute-values.js';
import { readImage } from '../functions/shared/events/stored-event.js';
import { CampaignEventFactory } from '../local/campaign-simulator/event-factory.js';
import { DEFAULT_MIX } from '../local/run/traffic.js';
import { FULL_VCPU_MB } from './sizing.js';
import { median } from './statistics.js';
import type { WarmResult } from './warm.js';

/** us-east-1 list prices (November 2026), per unit. */
export const PRICES = {
  writeUnit: 0.625 / 1e6,
  snsRequest: 0.5 / 1e6,
  apiRequest: 3.5 / 1e6,
  lambdaRequest: 0.2 / 1e6,
  lambdaGbSecond: 0.0000133334,
  logGb: 0.5,
  xrayTrace: 5 / 1e6,
  storageGbMonth: 0.25,
  pitrGbMonth: 0.2,
} as const;

const BATCH = 100;
const EVENTS = 1_000_000;
/** DynamoDB bills storage per item as its size plus 100 bytes of overhead. */
const STORAGE_OVERHEAD_BYTES = 100;
/** SNS bills each 64 KB chunk of a request's payload as one request (a PublishBatch of small messages is one). */
const SNS_CHUNK_BYTES = 64 * 1024;
const PUBLISH_BATCH_ENTRIES = 10;
/** Log bytes per invocation besides the handler's own: Lambda's START/END/REPORT lines (JSON format). */
const PLATFORM_LOG_BYTES = 900;
/** One API Gateway access log line (the stage's JSON format) per request. */
const ACCESS_LOG_BYTES = 700;
const RETENTION_DAYS = 30;

export interface MeasuredItems {
  readonly events: number;
  readonly rawBytes: number;
  readonly itemBytes: number;
  readonly writeUnits: number;
  readonly messageBytes: number;
  /** Billed SNS requests, batches of one type published 10 per PublishBatch. */
  readonly snsRequests: number;
  readonly largestItemBytes: number;
}

/**
 * The items and messages of a day of the local run's traffic mix, in Campaign batches of 100 events of
 * one type: each batch classified by the ingest's own code, each item measured as DynamoDB counts it,
 * each message as the fan-out builds it from the item.
 */
export function measureItems(batchesPerType = 20): MeasuredItems {
  const read = createEventReader({ eventTypes: CAMPAIGN_EVENT_TYPES });
  const factory = new CampaignEventFactory({ seed: 5 });
  const totals = { events: 0, rawBytes: 0, itemBytes: 0, writeUnits: 0, messageBytes: 0, snsRequests: 0 };
  let largestItemBytes = 0;
  for (const [type, weight] of DEFAULT_MIX) {
    for (let batch = 0; batch < batchesPerType * weight; batch += 10) {
      const measured = measureBatch(factory, type, read);
      for (const key of Object.keys(totals) as Array<keyof typeof totals>) totals[key] += measured[key];
      largestItemBytes = Math.max(largestItemBytes, measured.largestItemBytes);
    }
  }
  return { ...totals, largestItemBytes };
}

function measureBatch(
  factory: CampaignEventFactory,
  type: CampaignEventType,
  read: ReturnType<typeof createEventReader>,
) {
  const parsed = parseBatch(JSON.stringify(factory.batch(BATCH, [type])), BATCH);
  if (!parsed.ok) throw new Error(parsed.rejection.message);
  const { entries } = classifyBatch(parsed.value, {
    read,
    receivedAt: new Date(),
    retentionDays: RETENTION_DAYS,
    bucket: 'large-events',
  });
  const sizes = entries.map((entry) => itemBytes(entry.item.attributes));
  const bodies = entries.flatMap((entry) => {
    const reading = readImage(entry.item.attributes as Parameters<typeof readImage>[0]);
    return reading.kind === 'accepted' ? [Buffer.byteLength(toMessage(reading.event).body)] : [];
  });
  let snsRequests = 0;
  for (let start = 0; start < bodies.length; start += PUBLISH_BATCH_ENTRIES) {
    const payload = bodies.slice(start, start + PUBLISH_BATCH_ENTRIES).reduce((sum, bytes) => sum + bytes, 0);
    snsRequests += Math.ceil(payload / SNS_CHUNK_BYTES);
  }
  return {
    events: entries.length,
    rawBytes: parsed.value.reduce((sum, event) => sum + Buffer.byteLength(event.text), 0),
    itemBytes: sizes.reduce((sum, bytes) => sum + bytes, 0),
    writeUnits: sizes.reduce((sum, bytes) => sum + Math.ceil(bytes / 1024), 0),
    messageBytes: bodies.reduce((sum, bytes) => sum + bytes, 0),
    snsRequests,
    largestItemBytes: Math.max(...sizes),
  };
}

export interface CostInputs {
  readonly items: MeasuredItems;
  /** Warm results of the 100-event batch (ingest) and the 100-record batch (fan-out). */
  readonly ingest: WarmResult;
  readonly fanOut: WarmResult;
  readonly ingestMemoryMb: number;
  readonly fanOutMemoryMb: number;
}

/** Cost per million events (batches of 100, list prices), measured items and CPU; the ratio to the floor. */
export function costReport(inputs: CostInputs): string {
  const { items } = inputs;
  const perEvent = (value: number) => value / items.events;
  const invocations = EVENTS / BATCH;
  const lambdaGbSeconds = (result: WarmResult, memoryMb: number) => {
    const seconds = (median(result.samples.handler) * BATCH) / 1e6 / Math.min(1, memoryMb / FULL_VCPU_MB);
    return invocations * seconds * (memoryMb / 1024);
  };
  const logBytes =
    EVENTS * (inputs.ingest.logBytesPerEvent + inputs.fanOut.logBytesPerEvent) +
    invocations * (2 * PLATFORM_LOG_BYTES + ACCESS_LOG_BYTES);
  const writes = EVENTS * perEvent(items.writeUnits) * PRICES.writeUnit;
  const publishes = EVENTS * perEvent(items.snsRequests) * PRICES.snsRequest;
  const floor = EVENTS * PRICES.writeUnit + (EVENTS / PUBLISH_BATCH_ENTRIES) * PRICES.snsRequest;
  const gbStored = (EVENTS * (perEvent(items.itemBytes) + STORAGE_OVERHEAD_BYTES)) / 1e9;
  const rows: Array<[string, string, number]> = [
    ['DynamoDB writes', `${fixed(perEvent(items.writeUnits), 3)} write units per event`, writes],
    [
      'SNS publishes',
      `${fixed(perEvent(items.snsRequests), 3)} billed requests per event (PublishBatch of 10)`,
      publishes,
    ],
    ['API Gateway requests', `${invocations} requests`, invocations * PRICES.apiRequest],
    [
      'Lambda requests',
      `${invocations} ingest + ${invocations} fan-out`,
      2 * invocations * PRICES.lambdaRequest,
    ],
    [
      'Lambda compute (arm64)',
      `${fixed(lambdaGbSeconds(inputs.ingest, inputs.ingestMemoryMb), 0)} + ${fixed(lambdaGbSeconds(inputs.fanOut, inputs.fanOutMemoryMb), 0)} GB-s`,
      (lambdaGbSeconds(inputs.ingest, inputs.ingestMemoryMb) +
        lambdaGbSeconds(inputs.fanOut, inputs.fanOutMemoryMb)) *
        PRICES.lambdaGbSecond,
    ],
    ['CloudWatch Logs ingestion', `${fixed(logBytes / 1e9, 3)} GB`, (logBytes / 1e9) * PRICES.logGb],
    ['X-Ray traces, every request traced', `${2 * invocations} traces`, 2 * invocations * PRICES.xrayTrace],
  ];
  const variable = rows.reduce((sum, row) => sum + row[2], 0);
  const withoutXray = variable - (rows.at(-1)?.[2] ?? 0);
  const lines = [
    `Items of the local traffic mix (${items.events} events): raw ${fixed(perEvent(items.rawBytes), 0)} B, item ${fixed(perEvent(items.itemBytes), 0)} B (largest ${items.largestItemBytes} B), message ${fixed(perEvent(items.messageBytes), 0)} B per event.`,
    '',
    '| per million events | usage | $ |',
    '| --- | --- | --- |',
    ...rows.map(([name, usage, cost]) => `| ${name} | ${usage} | ${fixed(cost, 3)} |`),
    `| **variable total** | | **${fixed(variable, 3)}** |`,
    `| DynamoDB storage + PITR, per month held | ${fixed(gbStored, 3)} GB | ${fixed(gbStored * PRICES.storageGbMonth, 3)} + ${fixed(gbStored * PRICES.pitrGbMonth, 3)} |`,
    '',
    `Floor of writes + publishes (1 write unit per event, 1 SNS request per 10 events): $${fixed(floor, 3)}.`,
    `Writes + publishes ÷ floor: ${fixed((writes + publishes) / floor, 3)}×; variable total ÷ floor: ${fixed(variable / floor, 3)}× (${fixed(withoutXray / floor, 3)}× without X-Ray).`,
  ];
  return lines.join('\n');
}

function fixed(value: number, digits: number): string {
  return value.toFixed(digits);
}
