import {
  CloudWatchLogsClient,
  FilterLogEventsCommand,
  paginateFilterLogEvents,
  ResourceNotFoundException,
} from '@aws-sdk/client-cloudwatch-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LogsStandIn, startLogsStandIn } from '../../../local/logs-stand-in.js';

/** The CloudWatch Logs stand-in, through the SDK client the alarm formatter uses. */
describe('CloudWatch Logs stand-in: FilterLogEvents', () => {
  let logs: LogsStandIn;
  let client: CloudWatchLogsClient;
  const group = '/aws/lambda/test-fanOut';
  const line = (message: string, extra: Record<string, unknown> = {}) =>
    JSON.stringify({ message, ...extra });

  beforeAll(async () => {
    logs = await startLogsStandIn();
    client = new CloudWatchLogsClient({
      endpoint: logs.endpoint,
      region: 'eu-central-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    logs.createLogGroup(group);
    logs.createLogGroup('/aws/lambda/other');
    for (let index = 0; index < 12; index++) {
      logs.put(group, { timestamp: 1000 + index, message: line('Record parked', { eventKey: `k${index}` }) });
      logs.put(group, { timestamp: 1000 + index, message: line('Stream batch fanned out') });
    }
    logs.put(group, { timestamp: 1000, message: 'START RequestId: 1 Version: $LATEST' });
    logs.put('/aws/lambda/other', {
      timestamp: 1000,
      message: line('Record parked', { eventKey: 'elsewhere' }),
    });
  });
  afterAll(async () => {
    client?.destroy();
    await logs?.stop();
  });

  const keysOf = (events: { message?: string }[] = []) =>
    events.map((event) => (JSON.parse(event.message ?? '{}') as { eventKey?: string }).eventKey);

  it("returns the group's events matching a JSON pattern, in the time window, page by page", async () => {
    const pages = paginateFilterLogEvents(
      { client, pageSize: 5 },
      {
        logGroupName: group,
        filterPattern: '{ $.message = "Record parked" }',
        startTime: 1002,
        endTime: 1010,
      },
    );
    const sizes: number[] = [];
    const keys: (string | undefined)[] = [];
    for await (const page of pages) {
      sizes.push(page.events?.length ?? 0);
      keys.push(...keysOf(page.events));
    }
    expect(sizes).toEqual([5, 4]);
    expect(keys).toEqual(['k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8', 'k9', 'k10']);
  });

  it('matches conjunctions and inequality, and every event without a pattern', async () => {
    const one = await client.send(
      new FilterLogEventsCommand({
        logGroupName: group,
        filterPattern: '{ $.message = "Record parked" && $.eventKey = "k11" }',
      }),
    );
    expect(keysOf(one.events)).toEqual(['k11']);
    const notParked = await client.send(
      new FilterLogEventsCommand({ logGroupName: group, filterPattern: '{ $.message != "Record parked" }' }),
    );
    expect(notParked.events).toHaveLength(12);
    const all = await client.send(new FilterLogEventsCommand({ logGroupName: group }));
    expect(all.events).toHaveLength(25);
  });

  it('refuses an unknown log group and a pattern it cannot evaluate, as CloudWatch Logs errors', async () => {
    await expect(
      client.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/missing' })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(
      client.send(new FilterLogEventsCommand({ logGroupName: group, filterPattern: '"Record parked"' })),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
  });
});
