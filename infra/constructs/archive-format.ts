import type { PublishedEvent } from '../../functions/shared/events/stored-event.js';

/**
 * The archive's layout and schema, defined once: the Glue table's columns and partition keys, Firehose's
 * JSON-key mappings and partitioning query are built from this module (the local Firehose stand-in reads
 * them back from the synthesized stack), and a test compares it with the messages the fan-out really
 * publishes.
 *
 * Each field of the published message ({@link PublishedEvent}) is one column: the data columns below, and
 * `eventType`, which is the `event_type` partition (Hive forbids a column that is also a partition key).
 * `receivedAt` also gives the `dt` and `hour` partitions (UTC, the time our endpoint stored the event:
 * always present, unlike the event's own time).
 */

/** The AWS/Firehose metrics the archive's alarms read, which the local Firehose stand-in emits. */
export const FIREHOSE_METRICS = {
  /** Per S3 write: 1 when it succeeded, 0 when it failed (alarmed on its minimum). */
  deliverySuccess: 'DeliveryToS3.Success',
  /** Records the format conversion could not convert (written under errors/). */
  failedConversion: 'FailedConversion.Records',
  /** Records refused because a buffer would exceed the partition count limit (written under errors/). */
  partitionCountExceeded: 'PartitionCountExceeded',
} as const;

/** How a message field's value is kept. */
export type ColumnKind =
  /** A JSON string, kept as is. */
  | 'string'
  /** A JSON number that is an integer (ids), as a 64-bit integer. */
  | 'integer'
  /** An ISO-8601 UTC string (`toISOString()`), as a timestamp. */
  | 'iso-timestamp'
  /** A JSON object, kept as its JSON text (the event as received: its fields are not known in advance). */
  | 'json-object';

export interface ArchiveColumn {
  /** Column name (Glue and Athena lowercase names; snake_case reads well in SQL). */
  readonly name: string;
  /** The published message's field. */
  readonly field: keyof PublishedEvent;
  readonly kind: ColumnKind;
  /** Whether every published message has the field. */
  readonly required: boolean;
  readonly comment: string;
}

export const ARCHIVE_COLUMNS: readonly ArchiveColumn[] = [
  {
    name: 'event_key',
    field: 'eventKey',
    kind: 'string',
    required: true,
    comment: 'Idempotency key: <type>#<SHA-256 of the event as received>',
  },
  {
    name: 'client_id',
    field: 'clientId',
    kind: 'integer',
    required: true,
    comment: 'Campaign client (mandator) id',
  },
  {
    name: 'mailing_id',
    field: 'mailingId',
    kind: 'integer',
    required: false,
    comment: 'Mailing id (mailing event types)',
  },
  {
    name: 'recipient_id',
    field: 'recipientId',
    kind: 'string',
    required: false,
    comment: 'Recipient id as Campaign sent it (personal data: often the address)',
  },
  {
    name: 'received_at',
    field: 'receivedAt',
    kind: 'iso-timestamp',
    required: true,
    comment: 'When the endpoint stored the event (UTC)',
  },
  {
    name: 'event',
    field: 'event',
    kind: 'json-object',
    required: true,
    comment: 'The normalized event as JSON text (personal data: addresses)',
  },
];

export interface ArchivePartitionKey {
  readonly name: string;
  readonly field: keyof PublishedEvent;
  /** The characters of the field's text kept (`[start, end)`), or the whole text. */
  readonly slice?: readonly [number, number];
  readonly comment: string;
}

/** In prefix order: `event_type=<type>/dt=<yyyy-MM-dd>/hour=<HH>/`. */
export const ARCHIVE_PARTITION_KEYS: readonly ArchivePartitionKey[] = [
  { name: 'event_type', field: 'eventType', comment: 'Event type (registration name)' },
  { name: 'dt', field: 'receivedAt', slice: [0, 10], comment: 'UTC date received, yyyy-MM-dd' },
  { name: 'hour', field: 'receivedAt', slice: [11, 13], comment: 'UTC hour received, HH' },
];

/** Where the archived events are (the table's location) and where Firehose writes what it could not. */
export const ARCHIVE_PREFIXES = { events: 'events/', errors: 'errors/' } as const;

export const ARCHIVE_TABLE_NAME = 'campaign_events';
/** Object names end with this (Firehose's FileExtension; the local stand-in writes the same). */
export const ARCHIVE_FILE_EXTENSION = '.parquet';

const GLUE_TYPES: Readonly<Record<ColumnKind, string>> = {
  string: 'string',
  integer: 'bigint',
  'iso-timestamp': 'timestamp',
  'json-object': 'string',
};

export function glueTypeOf(kind: ColumnKind): string {
  return GLUE_TYPES[kind];
}

/** Firehose's dynamic partitioning query (JQ 1.6) over the message: one key per partition. */
export function partitionQuery(): string {
  const keys = ARCHIVE_PARTITION_KEYS.map((key) => {
    const slice = key.slice ? `[${key.slice[0]}:${key.slice[1]}]` : '';
    return `${key.name}: .${key.field}${slice}`;
  });
  return `{${keys.join(', ')}}`;
}

/** Firehose's S3 prefix: `events/event_type=!{partitionKeyFromQuery:event_type}/…/`. */
export function firehosePrefix(): string {
  const parts = ARCHIVE_PARTITION_KEYS.map((key) => `${key.name}=!{partitionKeyFromQuery:${key.name}}/`);
  return `${ARCHIVE_PREFIXES.events}${parts.join('')}`;
}

/** Athena partition projection's location template: `…/event_type=${event_type}/…/`. */
export function projectionLocationTemplate(eventsLocation: string): string {
  const parts = ARCHIVE_PARTITION_KEYS.map((key) => `${key.name}=\${${key.name}}/`);
  return `${eventsLocation}${parts.join('')}`;
}

/** Column name -> JSON key, for the OpenX JSON deserializer (case-sensitive keys). */
export function columnToJsonKeyMappings(): Record<string, string> {
  return Object.fromEntries(ARCHIVE_COLUMNS.map((column) => [column.name, column.field]));
}

/** The prefix of one partition, e.g. `events/event_type=sent/dt=2026-12-01/hour=09/`. */
export function partitionPrefix(values: Readonly<Record<string, string>>): string {
  const parts = ARCHIVE_PARTITION_KEYS.map((key) => `${key.name}=${values[key.name]}/`);
  return `${ARCHIVE_PREFIXES.events}${parts.join('')}`;
}
