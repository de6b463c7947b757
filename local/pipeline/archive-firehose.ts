import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { FIREHOSE_METRICS } from '../../infra/constructs/archive-format.js';
import { compileFilterPolicy } from '../sns-filter-policy.js';
import type { LocalResources } from './intrinsics.js';
import type { MetricDatum } from './metric-store.js';
import type { SnsDelivery } from './services.js';
import type { ResourceModel, StackModel } from './stack-model.js';

/**
 * The archive's Firehose delivery stream, locally: subscribed to the topics the stack subscribes it to
 * (SNS Firehose subscriptions, raw message delivery: the message body as published), it evaluates the
 * stream's partitioning query, converts each record to the Glue table's columns as the OpenX JSON
 * deserializer does (its column-to-key mappings), and writes one Parquet file per partition and flush
 * under the stream's prefix, in a local folder laid out like the bucket. A record it cannot partition or
 * convert goes under the error prefix, as Firehose writes it. Everything is read from the template.
 * Files are written every `flushIntervalMs` (the deployed stream buffers minutes) and on stop.
 */

export interface ArchiveColumnModel {
  readonly name: string;
  /** Glue type: string, bigint, timestamp. */
  readonly type: string;
  /** The JSON key the deserializer reads (ColumnToJsonKeyMappings, else the column name). */
  readonly jsonKey: string;
}

export interface ArchiveStreamModel {
  readonly logicalId: string;
  readonly streamName: string;
  readonly prefix: string;
  readonly errorPrefix: string;
  readonly fileExtension: string;
  /** Partition key -> the message field and slice the JQ query takes. */
  readonly partitionKeys: ReadonlyArray<{ key: string; field: string; slice?: [number, number] }>;
  readonly columns: readonly ArchiveColumnModel[];
  /**
   * The topics subscribed to the stream, by logical id, whether SNS delivers the raw message, and the
   * subscription's filter policy (message attributes), if any.
   */
  readonly subscriptions: ReadonlyArray<{ topicLogicalId: string; raw: boolean; filterPolicy?: object }>;
}

export interface ArchiveStats {
  records: number;
  failed: number;
  files: number;
  bytes: number;
}

/** The folder the local run archives to: `<dataDir>/archive`, or one per stack in the temp folder. */
export function localArchiveDir(stackName: string, dataDir?: string): string {
  return dataDir
    ? path.join(dataDir, 'archive')
    : path.join(tmpdir(), 'campaign-events', stackName, 'archive');
}

/** The archive stream of the stack, or undefined when the stack has none (archive.enabled false). */
export function archiveStreamModel(model: StackModel): ArchiveStreamModel | undefined {
  const [stream] = model.deliveryStreams;
  if (stream === undefined) return undefined;
  const destination = stream.properties.ExtendedS3DestinationConfiguration as S3Destination;
  const conversion = destination.DataFormatConversionConfiguration;
  const table = model.glueTables.find(
    (candidate) => tableInput(candidate).Name === conversion.SchemaConfiguration.TableName,
  );
  if (table === undefined) throw new Error('The archive stream names a Glue table the stack does not have');
  const mappings = conversion.InputFormatConfiguration.Deserializer.OpenXJsonSerDe?.ColumnToJsonKeyMappings;
  return {
    logicalId: stream.logicalId,
    streamName: String(stream.properties.DeliveryStreamName),
    prefix: destination.Prefix,
    errorPrefix: destination.ErrorOutputPrefix,
    fileExtension: destination.FileExtension ?? '',
    partitionKeys: parsePartitionQuery(extractionQuery(destination)),
    columns: tableInput(table).StorageDescriptor.Columns.map((column) => ({
      name: column.Name,
      type: column.Type,
      jsonKey: mappings?.[column.Name] ?? column.Name,
    })),
    subscriptions: model.subscriptions
      .filter((subscription) => isSubscriptionTo(subscription, stream.logicalId))
      .map((subscription) => ({
        topicLogicalId: (subscription.properties.TopicArn as { Ref: string }).Ref,
        raw: subscription.properties.RawMessageDelivery === true,
        filterPolicy: subscription.properties.FilterPolicy as object | undefined,
      })),
  };
}

/**
 * The partitioning query, understood in the one form the stack writes: `{key: .field, key: .field[a:b]}`.
 * Anything else is refused rather than guessed.
 */
export function parsePartitionQuery(query: string): ArchiveStreamModel['partitionKeys'] {
  const body = /^\{(.*)\}$/.exec(query.trim())?.[1];
  const entries = body?.split(',').map((entry) => /^\s*(\w+):\s*\.(\w+)(?:\[(\d+):(\d+)\])?\s*$/.exec(entry));
  if (entries === undefined || entries.some((entry) => entry === null)) {
    throw new Error(`The local Firehose stand-in cannot evaluate the partitioning query ${query}`);
  }
  return (entries as RegExpExecArray[]).map(([, key = '', field = '', start, end]) => ({
    key,
    field,
    ...(start !== undefined &&
      end !== undefined && { slice: [Number(start), Number(end)] as [number, number] }),
  }));
}

/** One record as the deserializer would read it: the row, or why the conversion fails. */
export function convertRecord(
  record: Readonly<Record<string, unknown>>,
  columns: readonly ArchiveColumnModel[],
): { row: Record<string, unknown> } | { error: string } {
  const row: Record<string, unknown> = {};
  for (const column of columns) {
    const value = record[column.jsonKey];
    const converted = value === undefined || value === null ? null : convertValue(value, column.type);
    if (converted === INVALID) return { error: `${column.jsonKey} does not fit ${column.type}` };
    row[column.name] = converted;
  }
  return { row };
}

const INVALID = Symbol('invalid');

function convertValue(value: unknown, type: string): unknown {
  switch (type) {
    case 'string':
      return typeof value === 'object' ? JSON.stringify(value) : String(value);
    case 'bigint':
      if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
      return typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : INVALID;
    case 'timestamp':
      return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/.test(value)
        ? value
        : INVALID;
    default:
      throw new Error(`The local Firehose stand-in does not convert Glue type ${type}`);
  }
}

interface FailureKind {
  /** Firehose's !{firehose:error-output-type}. */
  readonly type: string;
  readonly errorCode: string;
}
const PARTITIONING_FAILED: FailureKind = {
  type: 'partitioning-failed',
  errorCode: 'DynamicPartitioning.MetadataExtractionFailed',
};
const CONVERSION_FAILED: FailureKind = {
  type: 'format-conversion-failed',
  errorCode: 'DataFormatConversion.InvalidSchema',
};

const DUCKDB_TYPES: Readonly<Record<string, string>> = {
  string: 'VARCHAR',
  bigint: 'BIGINT',
  timestamp: 'TIMESTAMP',
};

export interface ArchiveFirehoseOptions {
  readonly stream: ArchiveStreamModel;
  readonly dir: string;
  /** Keep what an earlier run archived in `dir`. @default false (the folder is emptied) */
  readonly keep?: boolean;
  /** @default 2000; 0 for only on flush() */
  readonly flushIntervalMs?: number;
  /** The AWS/Firehose metrics the stack's alarms read: DeliveryToS3.Success per write, FailedConversion.Records. */
  readonly onMetric?: (datum: MetricDatum) => void;
}

/** The stand-in: `accept` is the subscription's delivery; `flush` writes what is buffered. */
export class ArchiveFirehose {
  readonly stats: ArchiveStats = { records: 0, failed: 0, files: 0, bytes: 0 };
  private readonly buffers = new Map<string, Array<Record<string, unknown>>>();
  private readonly failures = new Map<string, string[]>();
  private writing: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout | undefined;

  private constructor(
    readonly options: ArchiveFirehoseOptions,
    private readonly db: DuckDBInstance,
  ) {
    const interval = options.flushIntervalMs ?? 2000;
    this.timer =
      interval > 0 ? setInterval(() => void this.flush().catch(() => undefined), interval) : undefined;
  }

  static async start(options: ArchiveFirehoseOptions): Promise<ArchiveFirehose> {
    if (!options.keep) rmSync(options.dir, { recursive: true, force: true });
    mkdirSync(options.dir, { recursive: true });
    return new ArchiveFirehose(options, await DuckDBInstance.create(':memory:'));
  }

  get dir(): string {
    return this.options.dir;
  }

  /** One raw SNS delivery: the message body as the fan-out published it. */
  accept(body: string): void {
    const arrival = new Date();
    let record: Record<string, unknown>;
    let prefix: string;
    try {
      record = JSON.parse(body) as Record<string, unknown>;
      prefix = this.partitionPrefix(record);
    } catch (error) {
      this.fail(PARTITIONING_FAILED, error, body, arrival);
      return;
    }
    const converted = convertRecord(record, this.options.stream.columns);
    if ('error' in converted) {
      this.fail(CONVERSION_FAILED, converted.error, body, arrival);
      return;
    }
    this.buffers.set(prefix, [...(this.buffers.get(prefix) ?? []), converted.row]);
  }

  /** Writes every buffered partition as one Parquet file each (and the failed records). */
  flush(): Promise<void> {
    const buffers = [...this.buffers];
    const failures = [...this.failures];
    this.buffers.clear();
    this.failures.clear();
    // A failed write must not stop later flushes, and its rows wait for the next one (Firehose retries).
    this.writing = this.writing
      .catch(() => undefined)
      .then(async () => {
        let failed: unknown;
        for (const [prefix, rows] of buffers) {
          try {
            await this.writeParquet(prefix, rows);
            this.metric(FIREHOSE_METRICS.deliverySuccess, 1);
          } catch (error) {
            this.metric(FIREHOSE_METRICS.deliverySuccess, 0);
            this.buffers.set(prefix, [...rows, ...(this.buffers.get(prefix) ?? [])]);
            failed ??= error;
          }
        }
        for (const [prefix, lines] of failures) this.writeFile(prefix, '', `${lines.join('\n')}\n`);
        if (failed !== undefined) throw failed;
      });
    return this.writing;
  }

  private metric(name: string, value: number): void {
    this.options.onMetric?.({
      namespace: 'AWS/Firehose',
      name,
      dimensions: { DeliveryStreamName: this.options.stream.streamName },
      timestamp: Date.now(),
      values: [value],
    });
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
    this.db.closeSync();
  }

  private partitionPrefix(record: Readonly<Record<string, unknown>>): string {
    let prefix = this.options.stream.prefix;
    for (const { key, field, slice } of this.options.stream.partitionKeys) {
      const value = record[field];
      if (typeof value !== 'string' || value === '') throw new Error(`.${field} is not a string`);
      const part = slice ? value.slice(slice[0], slice[1]) : value;
      prefix = prefix.replaceAll(`!{partitionKeyFromQuery:${key}}`, part);
    }
    return prefix;
  }

  private fail(kind: FailureKind, error: unknown, body: string, arrival: Date): void {
    const { type, errorCode } = kind;
    this.stats.failed++;
    if (kind === CONVERSION_FAILED) this.metric(FIREHOSE_METRICS.failedConversion, 1);
    const prefix = this.options.stream.errorPrefix
      .replaceAll('!{firehose:error-output-type}', type)
      .replace(/!\{timestamp:yyyy-MM-dd\}/g, arrival.toISOString().slice(0, 10));
    const line = JSON.stringify({
      attemptsMade: 1,
      arrivalTimestamp: arrival.getTime(),
      errorCode,
      errorMessage: error instanceof Error ? error.message : String(error),
      rawData: Buffer.from(body).toString('base64'),
    });
    this.failures.set(prefix, [...(this.failures.get(prefix) ?? []), line]);
  }

  private async writeParquet(prefix: string, rows: Array<Record<string, unknown>>): Promise<void> {
    const staging = path.join(this.options.dir, `.staging-${randomUUID()}.ndjson`);
    writeFileSync(staging, `${rows.map((row) => JSON.stringify(row)).join('\n')}\n`);
    const target = this.objectPath(prefix, this.options.stream.fileExtension);
    const columns = this.options.stream.columns
      .map((column) => `${column.name}: '${DUCKDB_TYPES[column.type]}'`)
      .join(', ');
    const connection = await this.db.connect();
    try {
      await connection.run(
        `COPY (SELECT * FROM read_json('${staging}', format = 'newline_delimited', columns = {${columns}})) ` +
          `TO '${target}' (FORMAT parquet, COMPRESSION snappy)`,
      );
    } finally {
      connection.closeSync();
      rmSync(staging, { force: true });
    }
    this.stats.records += rows.length;
    this.stats.files++;
    this.stats.bytes += statSync(target).size;
  }

  private writeFile(prefix: string, extension: string, content: string): void {
    writeFileSync(this.objectPath(prefix, extension), content);
  }

  /** `<dir>/<prefix><stream>-1-<yyyy-MM-dd-HH-mm-ss>-<uuid><ext>`, as Firehose names its objects. */
  private objectPath(prefix: string, extension: string): string {
    const folder = path.join(this.options.dir, prefix);
    mkdirSync(folder, { recursive: true });
    const time = new Date().toISOString().slice(0, 19).replace(/[T:]/g, '-');
    return path.join(folder, `${this.options.stream.streamName}-1-${time}-${randomUUID()}${extension}`);
  }
}

/** Subscribes the stand-in to every topic the stack subscribes the stream to. */
export async function subscribeArchive(
  firehose: ArchiveFirehose,
  resources: LocalResources,
  subscribe: (topicArn: string, listener: (delivery: SnsDelivery) => void) => Promise<void>,
): Promise<void> {
  for (const { topicLogicalId, raw, filterPolicy } of firehose.options.stream.subscriptions) {
    const topicArn = resources.resolveString(
      { Ref: topicLogicalId },
      `archive subscription ${topicLogicalId}`,
    );
    const matches = filterPolicy === undefined ? () => true : compileFilterPolicy(filterPolicy);
    await subscribe(topicArn, (delivery) => {
      if (matches({ ...delivery.attributes })) firehose.accept(raw ? delivery.message : envelopeOf(delivery));
    });
  }
}

/** What SNS sends a subscription without raw message delivery: the JSON notification around the message. */
function envelopeOf(delivery: SnsDelivery): string {
  return JSON.stringify({
    Type: 'Notification',
    MessageId: delivery.messageId,
    TopicArn: delivery.topicArn,
    Message: delivery.message,
    Timestamp: delivery.timestamp,
  });
}

interface S3Destination {
  Prefix: string;
  ErrorOutputPrefix: string;
  FileExtension?: string;
  ProcessingConfiguration?: {
    Processors?: Array<{
      Type: string;
      Parameters?: Array<{ ParameterName: string; ParameterValue: string }>;
    }>;
  };
  DataFormatConversionConfiguration: {
    InputFormatConfiguration: {
      Deserializer: { OpenXJsonSerDe?: { ColumnToJsonKeyMappings?: Record<string, string> } };
    };
    SchemaConfiguration: { TableName: string };
  };
}

interface TableInput {
  Name: string;
  StorageDescriptor: { Columns: Array<{ Name: string; Type: string }> };
}

function tableInput(table: ResourceModel): TableInput {
  return table.properties.TableInput as TableInput;
}

function extractionQuery(destination: S3Destination): string {
  const processor = destination.ProcessingConfiguration?.Processors?.find(
    (candidate) => candidate.Type === 'MetadataExtraction',
  );
  const query = processor?.Parameters?.find(
    (parameter) => parameter.ParameterName === 'MetadataExtractionQuery',
  );
  if (query === undefined) throw new Error('The archive stream has no partitioning query');
  return query.ParameterValue;
}

function isSubscriptionTo(subscription: ResourceModel, streamLogicalId: string): boolean {
  const endpoint = subscription.properties.Endpoint as { 'Fn::GetAtt'?: string[] } | undefined;
  return subscription.properties.Protocol === 'firehose' && endpoint?.['Fn::GetAtt']?.[0] === streamLogicalId;
}

export interface LocalArchiveOptions {
  readonly model: StackModel;
  readonly resources: LocalResources;
  readonly subscribe: (topicArn: string, listener: (delivery: SnsDelivery) => void) => Promise<void>;
  /** @default {@link localArchiveDir} */
  readonly dir?: string;
  /** The local run's data directory: the archive is kept there between runs. */
  readonly dataDir?: string;
  readonly flushIntervalMs?: number;
  readonly onMetric?: (datum: MetricDatum) => void;
}

/** The stand-in for the stack's archive stream, subscribed; undefined when the stack has no archive. */
export async function startLocalArchive(opts: LocalArchiveOptions): Promise<ArchiveFirehose | undefined> {
  const stream = archiveStreamModel(opts.model);
  if (stream === undefined) return undefined;
  const firehose = await ArchiveFirehose.start({
    stream,
    dir: opts.dir ?? localArchiveDir(opts.model.stackName, opts.dataDir),
    keep: opts.dataDir !== undefined,
    ...(opts.flushIntervalMs === undefined ? {} : { flushIntervalMs: opts.flushIntervalMs }),
    ...(opts.onMetric === undefined ? {} : { onMetric: opts.onMetric }),
  });
  // The stream's Ref and Arn, for the alarms' dimensions and the subscriptions' endpoints.
  const arn = `arn:aws:firehose:${opts.model.region}:${opts.model.accountId}:deliverystream/${stream.streamName}`;
  opts.resources.define(stream.logicalId, stream.streamName, { Arn: arn });
  await subscribeArchive(firehose, opts.resources, opts.subscribe);
  return firehose;
}
