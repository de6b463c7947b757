import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBRecord } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventKeyFor } from '../../functions/ingest/event-key.js';
import type { CampaignEventType } from '../../functions/shared/campaign-event-types.js';
import { bounceCategoryOf } from '../../functions/shared/events/schema.js';
import { type CampaignEvent, CampaignEventFactory } from '../../local/campaign-simulator/event-factory.js';
import type { PublishedMessage } from '../../local/sns-stand-in.js';
import type { SqsStandIn } from '../../local/sqs-stand-in.js';
import type { OnFailureMessage } from '../../local/stream-driver.js';
import { runCli } from '../../scripts/redrive.js';
import {
  type LocalServices,
  type Pipeline,
  startTestPipeline,
  startTestServices,
} from '../support/pipeline.js';

/**
 * The operator's replay end to end, on the pipeline the stack describes: events stored through the real
 * ingest, then read from DynamoDB Local's stream by the stack's event source mapping when they are past its
 * maximum record age (the stream lags by 23 hours: the last resort, a fan-out that neither published nor
 * held them for 22 hours), so the mapping discards them with Lambda-shaped on-failure records into the
 * stack's dead-letter queue (SQS stand-in); then replayed by `npm run redrive` (its CLI entry, in process).
 */
describe('redrive of the fan-out dead-letter queue', () => {
  let services: LocalServices;
  let sqs: SqsStandIn;
  let sqsClient: SQSClient;
  let pipeline: Pipeline | undefined;
  let queues = 0;

  beforeAll(async () => {
    services = await startTestServices();
    sqs = services.sqs;
    sqsClient = new SQSClient({ endpoint: services.endpoints.sqs });
  });
  afterAll(async () => {
    sqsClient?.destroy();
    await services?.stop();
  });
  afterEach(async () => {
    await pipeline?.stop();
    pipeline = undefined;
    services.sns.reset();
  });

  const EVENT_TYPES: CampaignEventType[] = ['sent', 'open', 'click', 'bounce', 'unsubscribe'];
  const keyOf = (record: DynamoDBRecord) => record.dynamodb?.NewImage?.eventKey?.S as string;
  const typeOf = (record: DynamoDBRecord) => record.dynamodb?.NewImage?.eventType?.S as CampaignEventType;
  const bodyOf = (message: PublishedMessage) =>
    JSON.parse(message.message) as { eventKey: string; eventType: string; event: Record<string, unknown> };

  interface Parked {
    p: Pipeline;
    queueUrl: string;
    /** The records the fan-out gave up on, in stream order. */
    parked: DynamoDBRecord[];
    /** Lambda's on-failure records, one per parked batch, as sent into the dead-letter queue. */
    onFailure: OnFailureMessage[];
  }

  /** Past the mapping's maximum record age (22 h) and within the stream's retention (24 h). */
  const PAST_MAX_RECORD_AGE_MS = 23 * 3_600_000;

  /**
   * Stores the batches through the ingest (each complete before the next), then lets the fan-out read the
   * stream 23 hours late: the mapping discards every batch to the stack's dead-letter queue unpublished.
   */
  async function parkEvents(batches: CampaignEvent[][]): Promise<Parked> {
    const p = await startTestPipeline(services, { config: { eventTypes: EVENT_TYPES }, fanOut: 'deferred' });
    pipeline = p;
    for (const batch of batches) {
      const response = await p.post(batch);
      expect(response).toMatchObject({ status: 200, body: { accepted: batch.length, quarantined: 0 } });
    }
    p.faults.stream.lag(PAST_MAX_RECORD_AGE_MS);
    p.startFanOut();
    await p.driver.waitUntilIdle();
    p.faults.stream.clear();
    expect(services.sns.published).toEqual([]);
    expect(
      p.driver.onFailureMessages.every((message) => message.requestContext.condition === 'RecordAgeExceeded'),
    ).toBe(true);

    const onFailure = [...p.driver.onFailureMessages];
    expect(onFailure.length).toBeGreaterThan(0);
    queues++;
    const queueUrl = p.provisioned.queues.get(p.model.fanOutDeadLetterQueueLogicalId)?.url as string;
    expect(sqs.messages(queueUrl).map((message) => JSON.parse(message.body))).toEqual(onFailure);
    return { p, queueUrl, parked: [...p.driver.parked], onFailure };
  }

  const sendBody = (QueueUrl: string, MessageBody: string) =>
    sqsClient.send(new SendMessageCommand({ QueueUrl, MessageBody }));

  /** `npm run redrive -- <args>` against the services, reached through AWS_ENDPOINT_URL_* only (the pipeline sets them). */
  async function redrive(parked: Parked, ...args: string[]): Promise<{ code: number; output: string }> {
    const lines: string[] = [];
    const code = await runCli(
      [
        ...args,
        '--queue-url',
        parked.queueUrl,
        '--table-name',
        parked.p.tableName,
        '--topic-arns',
        JSON.stringify(parked.p.topicArns),
      ],
      { stdout: (line) => lines.push(line), stderr: (line) => lines.push(`stderr: ${line}`) },
    );
    return { code, output: lines.join('\n') };
  }

  /** Messages SNS accepted since `before` messages. */
  const publishedSince = (before: number) => services.sns.published.slice(before);
  const keysOf = (messages: PublishedMessage[]) => messages.map((message) => bodyOf(message).eventKey);
  const sorted = (keys: Iterable<string>) => [...keys].sort();

  async function visibleCount(queueUrl: string): Promise<number> {
    const { Attributes } = await sqsClient.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    return Number(Attributes?.ApproximateNumberOfMessages);
  }

  const factory = (seed: number) => new CampaignEventFactory({ seed, clientId: 100001 });

  it('publishes every parked event exactly once, as the live path does, and empties the queue', async () => {
    const events = factory(601);
    const sent = events.batch(40, ['open', 'click', 'bounce']);
    const parked = await parkEvents([sent]);
    const parkedKeys = parked.parked.map(keyOf);
    const bounces = sent.filter((event) => event.type === 'bounce');
    expect(parked.parked.filter((record) => typeOf(record) === 'bounce')).toHaveLength(bounces.length);

    const before = services.sns.published.length;
    const { code, output } = await redrive(parked, '--yes');
    expect(code, output).toBe(0);

    const replayed = publishedSince(before);
    expect(sorted(keysOf(replayed))).toEqual(sorted(parkedKeys));
    expect(new Set(keysOf(replayed)).size).toBe(replayed.length);

    // The refused type reached its topic once, with the live path's message shape.
    const bounceMessages = services.sns.messagesFor(parked.p.topicArns.bounce as string);
    expect(bounceMessages).toHaveLength(bounces.length);
    for (const message of bounceMessages) {
      const body = bodyOf(message);
      const original = bounces.find(
        (event) => eventKeyFor('bounce', event) === body.eventKey,
      ) as CampaignEvent;
      expect(body).toMatchObject({
        eventType: 'bounce',
        clientId: 100001,
        event: { ...original, type: 'bounce' },
      });
      expect(message.messageAttributes).toEqual({
        eventType: { dataType: 'String', stringValue: 'bounce' },
        clientId: { dataType: 'Number', stringValue: '100001' },
        mailingId: { dataType: 'Number', stringValue: String(original.mailingId) },
        bounceCategory: { dataType: 'String', stringValue: bounceCategoryOf(original) },
        mediaType: { dataType: 'String', stringValue: 'EMAIL' },
      });
    }

    expect(sqs.messages(parked.queueUrl)).toEqual([]);
    expect(output).toContain('records from the stream');
    expect(output).toContain(`published ${parkedKeys.length}`);
    expect(output).toMatch(/Summary: 1 message\(s\), 1 replayed and deleted, 0 left in the queue/);
  });

  it('changes nothing in a dry run, and lists what a replay would publish', async () => {
    const sent = factory(602).batch(30, ['sent', 'bounce', 'unsubscribe']);
    const parked = await parkEvents([sent]);
    const queued = sqs.messages(parked.queueUrl).map((message) => message.body);
    const before = services.sns.published.length;

    const dry = await redrive(parked);
    expect(dry.code, dry.output).toBe(0);
    expect(services.sns.published).toHaveLength(before);
    expect(dry.output).toContain('DRY RUN');
    for (const record of parked.parked) expect(dry.output).toContain(`${typeOf(record)} ${keyOf(record)}`);
    const perType = (type: CampaignEventType) =>
      parked.parked.filter((record) => typeOf(record) === type).length;
    expect(dry.output).toContain(
      `would publish ${parked.parked.length}: ${(['sent', 'bounce', 'unsubscribe'] as const)
        .filter((type) => perType(type) > 0)
        .map((type) => `${type} ${perType(type)}`)
        .join(', ')}`,
    );
    expect(dry.output).toContain('would be deleted from the queue');
    // The messages are back, visible at once, for the real run.
    expect(sqs.messages(parked.queueUrl).map((message) => message.body)).toEqual(queued);
    expect(await visibleCount(parked.queueUrl)).toBe(queued.length);

    const real = await redrive(parked, '--yes');
    expect(real.code, real.output).toBe(0);
    expect(sorted(keysOf(publishedSince(before)))).toEqual(sorted(parked.parked.map(keyOf)));
    expect(sqs.messages(parked.queueUrl)).toEqual([]);
  });

  it('leaves a message it cannot read in the queue and says why, and replays the others', async () => {
    const parked = await parkEvents([factory(603).batch(20, ['open', 'bounce'])]);
    const [onFailure] = parked.onFailure as [OnFailureMessage];
    const malformed = [
      'this is not JSON',
      JSON.stringify({ requestContext: { condition: 'RetryAttemptsExhausted' }, version: '1.0' }),
      JSON.stringify({
        ...onFailure,
        DDBStreamBatchInfo: { ...onFailure.DDBStreamBatchInfo, batchSize: 'many' },
      }),
    ];
    for (const body of malformed) await sendBody(parked.queueUrl, body);
    const before = services.sns.published.length;

    const { code, output } = await redrive(parked, '--yes');
    expect(code, output).toBe(1);
    expect(sorted(keysOf(publishedSince(before)))).toEqual(sorted(parked.parked.map(keyOf)));
    const left = sqs.messages(parked.queueUrl);
    expect(left.map((message) => message.body)).toEqual(malformed);
    expect(left.map((message) => message.state)).toEqual(['visible', 'visible', 'visible']);
    expect(output).toContain('cannot be read: the body is not JSON');
    expect(output).toContain('cannot be read: no DDBStreamBatchInfo');
    expect(output).toContain('cannot be read: DDBStreamBatchInfo.batchSize: expected number');
    expect(output).toMatch(
      /1 replayed and deleted, 3 left in the queue \(3 unreadable, 0 not fully published\)/,
    );
  });

  it('keeps the message of a batch whose publishing fails again, and replays it once SNS recovers', async () => {
    const events = factory(604);
    // Two stream batches: the first 100 records (the driver's batch size), then the second post.
    const first = events.batch(100, ['open', 'bounce']);
    const second = events.batch(20, ['click', 'sent']);
    const parked = await parkEvents([first, second]);
    const rangeHasBounce = (message: OnFailureMessage) => {
      const { startSequenceNumber, endSequenceNumber } = message.DDBStreamBatchInfo;
      return parked.parked.some((record) => {
        const sequence = BigInt(record.dynamodb?.SequenceNumber as string);
        return (
          sequence >= BigInt(startSequenceNumber) &&
          sequence <= BigInt(endSequenceNumber) &&
          typeOf(record) === 'bounce'
        );
      });
    };
    const withBounce = parked.onFailure.filter(rangeHasBounce);
    expect(withBounce.length).toBeGreaterThan(0);
    expect(withBounce.length).toBeLessThan(parked.onFailure.length);

    services.sns.failWhen((message) => message.topicArn === parked.p.topicArns.bounce);
    const before = services.sns.published.length;
    const failing = await redrive(parked, '--yes');
    expect(failing.code, failing.output).toBe(1);
    const left = sqs.messages(parked.queueUrl);
    expect(left.map((message) => JSON.parse(message.body))).toEqual(withBounce);
    expect(left.every((message) => message.state === 'visible')).toBe(true);
    expect(failing.output).toMatch(
      /left in the queue: \d+ event\(s\) not published \(first: bounce bounce#\S+: InternalError/,
    );
    const parkedClicks = parked.parked.filter((record) => typeOf(record) === 'click').map(keyOf);
    expect(parkedClicks.length).toBeGreaterThan(0);
    const afterFailing = publishedSince(before);
    expect(sorted(keysOf(afterFailing).filter((key) => parkedClicks.includes(key)))).toEqual(
      sorted(parkedClicks),
    );
    expect(afterFailing.filter((message) => message.topicArn === parked.p.topicArns.bounce)).toEqual([]);

    services.sns.clearFailures();
    const recovered = await redrive(parked, '--yes');
    expect(recovered.code, recovered.output).toBe(0);
    expect(sqs.messages(parked.queueUrl)).toEqual([]);
    const bounceKeys = parked.parked.filter((record) => typeOf(record) === 'bounce').map(keyOf);
    expect(sorted(keysOf(services.sns.messagesFor(parked.p.topicArns.bounce as string)))).toEqual(
      sorted(bounceKeys),
    );
  });

  it('handles at most --max-messages messages', async () => {
    const events = factory(605);
    const parked = await parkEvents([events.batch(100, ['open', 'bounce']), events.batch(10, ['bounce'])]);
    expect(parked.onFailure.length).toBeGreaterThanOrEqual(2);
    const { code, output } = await redrive(parked, '--yes', '--max-messages', '1');
    expect(code, output).toBe(0);
    expect(output).toMatch(/Summary: 1 message\(s\), 1 replayed and deleted/);
    expect(sqs.messages(parked.queueUrl)).toHaveLength(parked.onFailure.length - 1);
    expect(await visibleCount(parked.queueUrl)).toBe(parked.onFailure.length - 1);
  });

  it('reads the table when the stream no longer has the batch, republishing its neighbours too', async () => {
    const sent = factory(606).batch(24, ['open', 'bounce', 'sent']);
    const parked = await parkEvents([sent]);
    // The shard is gone, as it is a day after its records were written.
    const queueUrl = sqs.createQueue(`fan-out-dlq-gone-${queues}`);
    for (const record of parked.onFailure) {
      // The arrival times as the table knows them (the lag made the stream report them 23 h earlier).
      const arrived = (at: string) => new Date(Date.parse(at) + PAST_MAX_RECORD_AGE_MS).toISOString();
      const gone = {
        ...record.DDBStreamBatchInfo,
        shardId: 'shardId-00000001000000000000-00000000',
        approximateArrivalOfFirstRecord: arrived(record.DDBStreamBatchInfo.approximateArrivalOfFirstRecord),
        approximateArrivalOfLastRecord: arrived(record.DDBStreamBatchInfo.approximateArrivalOfLastRecord),
      };
      await sendBody(queueUrl, JSON.stringify({ ...record, DDBStreamBatchInfo: gone }));
    }
    const allKeys = sorted((await parked.p.items()).map((item) => item.eventKey as string));
    const before = services.sns.published.length;

    // Published, but the message stays: the table cannot prove the window held the whole batch.
    const first = await redrive({ ...parked, queueUrl }, '--yes');
    expect(first.code, first.output).toBe(1);
    expect(first.output).toContain('the stream no longer has the batch (ResourceNotFoundException');
    expect(first.output).toContain('records from the table: 24 accepted event(s) received');
    expect(first.output).toContain('delivery is at least once');
    expect(first.output).toContain('COMPLETENESS CANNOT BE PROVEN from the table');
    expect(first.output).toContain('left in the queue: its events were read from the table');
    const replayed = publishedSince(before);
    // Every event of the window (the whole post here), each once: the parked ones and their neighbours.
    expect(sorted(keysOf(replayed))).toEqual(allKeys);
    expect(sqs.messages(queueUrl)).toHaveLength(parked.onFailure.length);

    // The operator checked and accepts the window: published again (at least once), and the message goes.
    const accepted = await redrive({ ...parked, queueUrl }, '--yes', '--accept-table-window');
    expect(accepted.code, accepted.output).toBe(0);
    expect(sorted(keysOf(publishedSince(before + replayed.length)))).toEqual(allKeys);
    expect(sqs.messages(queueUrl)).toEqual([]);
  });

  it('never deletes a message when a redelivery moved one of its events out of the table window', async () => {
    // A batch of bounces, all parked (SNS refuses them), then neighbours published live, then Campaign
    // redelivers one parked bounce: the overwrite (a MODIFY, never published) gives it a new receivedAt.
    const events = factory(608);
    const bounces = events.batch(10, ['bounce']);
    const parked = await parkEvents([bounces]);
    const [record] = parked.onFailure as [OnFailureMessage];
    expect(record.DDBStreamBatchInfo.batchSize).toBe(10);
    const neighbours = events.batch(3, ['open']);
    expect(await parked.p.post(neighbours)).toMatchObject({ status: 200, body: { accepted: 3 } });
    await parked.p.driver.waitUntilIdle();
    const receivedAt = async () =>
      new Map((await parked.p.items()).map((item) => [item.eventKey as string, item.receivedAt as string]));
    const before = await receivedAt();
    const parkedKeys = parked.parked.map(keyOf);
    const times = [...before.values()].sort();
    const [windowStart, windowEnd] = [times[0] as string, times.at(-1) as string];
    while (Date.now() <= Date.parse(windowEnd)) await new Promise((resolve) => setImmediate(resolve));
    const redelivered = bounces[0] as CampaignEvent;
    expect(await parked.p.post([redelivered])).toMatchObject({ status: 200, body: { accepted: 1 } });
    const movedKey = eventKeyFor('bounce', redelivered);
    expect(parkedKeys).toContain(movedKey);
    expect(((await receivedAt()).get(movedKey) as string) > windowEnd).toBe(true);

    // A day later: the shard is gone; the batch's window spans its arrival up to the neighbours.
    const queueUrl = sqs.createQueue(`fan-out-dlq-moved-${queues}`);
    const body = JSON.stringify({
      ...record,
      DDBStreamBatchInfo: {
        ...record.DDBStreamBatchInfo,
        shardId: 'shardId-00000001000000000000-00000000',
        approximateArrivalOfFirstRecord: windowStart,
        approximateArrivalOfLastRecord: windowEnd,
      },
    });
    await sendBody(queueUrl, body);
    const published = services.sns.published.length;

    const { code, output } = await redrive({ ...parked, queueUrl }, '--yes', '--window-margin', '0');
    // 12 events in the window for a batch of 10, yet the moved bounce is not among them.
    expect(output).toContain('records from the table: 12 accepted event(s) received');
    expect(keysOf(publishedSince(published))).not.toContain(movedKey);
    expect(code, output).toBe(1);
    expect(sqs.messages(queueUrl).map((message) => message.body)).toEqual([body]);
    expect(output).toContain('COMPLETENESS CANNOT BE PROVEN from the table');
    expect(output).toMatch(
      /1 left in the queue \(0 unreadable, 1 replayed from the table, not provably complete/,
    );
  });

  it('keeps the message when the table does not hold the batch around its arrival time', async () => {
    const parked = await parkEvents([factory(607).batch(10, ['bounce'])]);
    const queueUrl = sqs.createQueue(`fan-out-dlq-old-${queues}`);
    const [record] = parked.onFailure as [OnFailureMessage];
    const body = JSON.stringify({
      ...record,
      DDBStreamBatchInfo: {
        ...record.DDBStreamBatchInfo,
        shardId: 'shardId-00000001000000000000-00000000',
        approximateArrivalOfFirstRecord: '2020-01-01T00:00:00Z',
        approximateArrivalOfLastRecord: '2020-01-01T00:00:00Z',
      },
    });
    await sendBody(queueUrl, body);
    const before = services.sns.published.length;

    const { code, output } = await redrive({ ...parked, queueUrl }, '--yes');
    expect(code, output).toBe(1);
    expect(publishedSince(before)).toEqual([]);
    expect(sqs.messages(queueUrl).map((message) => message.body)).toEqual([body]);
    expect(output).toContain(
      `left in the queue: the table holds 0 accepted event(s) received around the batch, fewer than its ${record.DDBStreamBatchInfo.batchSize} record(s)`,
    );
  });
});
