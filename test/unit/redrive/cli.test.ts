import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-dynamodb-streams';
import type { PublishBatchCommand, PublishBatchCommandOutput } from '@aws-sdk/client-sns';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { CampaignEventFactory } from '../../../local/campaign-simulator/event-factory.js';
import { type CliIo, runCli } from '../../../scripts/redrive.js';
import { storedItem } from '../../support/stored-events.js';

const QUEUE_URL = 'https://sqs.eu-central-1.amazonaws.com/123456789012/fan-out-dlq';
const TABLE = 'CampaignEvents-EventTable';
const TARGET_ARGS = [
  '--queue-url',
  QUEUE_URL,
  '--table-name',
  TABLE,
  '--topic-arns',
  '{"open": "arn:aws:sns:eu-central-1:123456789012:open"}',
];
const ON_FAILURE = JSON.stringify({
  requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 11 },
  timestamp: '2026-11-26T20:03:10.000Z',
  DDBStreamBatchInfo: {
    shardId: 'shardId-1',
    startSequenceNumber: '100',
    endSequenceNumber: '101',
    approximateArrivalOfFirstRecord: '2026-11-26T20:00:00Z',
    approximateArrivalOfLastRecord: '2026-11-26T20:00:00Z',
    batchSize: 2,
    streamArn: `arn:aws:dynamodb:eu-central-1:123456789012:table/${TABLE}/stream/2026-11-01T00:00:00.000`,
  },
});

/** An SQS client answering each ReceiveMessage with the next of `receives`, recording every command. */
function fakeQueue(receives: Message[][], failing: Partial<Record<string, Error>> = {}) {
  const commands: Array<{ name: string; input: Record<string, unknown> }> = [];
  let next = 0;
  const client = {
    async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      const name = command.constructor.name;
      commands.push({ name, input: command.input });
      const failure = failing[name];
      if (failure) throw failure;
      if (command instanceof ReceiveMessageCommand) return { Messages: receives[next++] ?? [] };
      if (command instanceof DeleteMessageCommand || command instanceof ChangeMessageVisibilityCommand)
        return {};
      throw new Error(`unexpected ${name}`);
    },
  };
  return { client, commands };
}

const message = (id: string, body: string): Message => ({
  MessageId: id,
  ReceiptHandle: `handle-${id}`,
  Body: body,
  Attributes: { ApproximateReceiveCount: '1' },
});

async function run(argv: string[], clients: CliIo['clients'] = {}) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await runCli(argv, {
    stdout: (line) => stdout.push(line),
    stderr: (line) => stderr.push(line),
    clients,
  });
  return { code, stdout: stdout.join('\n'), stderr: stderr.join('\n') };
}

const unusable = {
  async send(): Promise<never> {
    throw new Error('this client must not be called');
  },
};

describe('npm run redrive', () => {
  it('prints its usage', async () => {
    const { code, stdout } = await run(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: npm run redrive --');
    expect(stdout).toContain('--window-margin <seconds>');
    expect(stdout).toContain('--accept-table-window');
  });

  it('refuses bad arguments with a precise message and exit code 2, before touching AWS', async () => {
    const cases: Array<[string[], string]> = [
      [['--max-messages', '0', ...TARGET_ARGS], '--max-messages must be an integer of at least 1, got "0"'],
      [
        ['--max-messages', '2.5', ...TARGET_ARGS],
        '--max-messages must be an integer of at least 1, got "2.5"',
      ],
      [['--window-margin=-5', ...TARGET_ARGS], '--window-margin must be a number of at least 0, got "-5"'],
      [['--queue', QUEUE_URL], "Unknown option '--queue'"],
      [['replay', ...TARGET_ARGS], 'Unexpected argument "replay"'],
      [['--table-name', TABLE], 'Missing --queue-url, --topic-arns.'],
    ];
    for (const [argv, message] of cases) {
      const { code, stderr } = await run(argv, { sqs: unusable, cloudFormation: unusable });
      expect({ argv, code }).toEqual({ argv, code: 2 });
      expect(stderr).toContain(message);
    }
  });

  it('takes its targets from the stack outputs and ends when the queue is empty', async () => {
    const queue = fakeQueue([[]]);
    const cloudFormation = {
      async send(command: unknown) {
        expect(command).toBeInstanceOf(DescribeStacksCommand);
        return {
          Stacks: [
            {
              Outputs: [
                { OutputKey: 'FanOutDeadLetterQueueUrl', OutputValue: QUEUE_URL },
                { OutputKey: 'EventTableName', OutputValue: TABLE },
                { OutputKey: 'TopicArnOpen', OutputValue: 'arn:aws:sns:eu-central-1:123456789012:open' },
              ],
            },
          ],
        };
      },
    };
    const { code, stdout } = await run(['--stack', 'CampaignEvents'], { sqs: queue.client, cloudFormation });
    expect(code).toBe(0);
    expect(stdout).toContain(`Replaying parked stream batches from ${QUEUE_URL}`);
    expect(stdout).toContain(`table ${TABLE}, 1 event topic(s)`);
    expect(stdout).toContain('Summary (dry run): 0 message(s)');
    expect(queue.commands).toEqual([
      {
        name: 'ReceiveMessageCommand',
        input: {
          QueueUrl: QUEUE_URL,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 5,
          VisibilityTimeout: 900,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        },
      },
    ]);
  });

  it('keeps a message whose batch cannot be read, releases it, and exits 1', async () => {
    const queue = fakeQueue([[message('m1', ON_FAILURE)], []]);
    const streams = {
      async send(command: unknown) {
        expect(command).toBeInstanceOf(GetShardIteratorCommand);
        throw Object.assign(new Error('not authorized to perform: dynamodb:GetShardIterator'), {
          name: 'AccessDeniedException',
        });
      },
    };
    const { code, stdout } = await run(['--yes', ...TARGET_ARGS], { sqs: queue.client, streams });
    expect(code).toBe(1);
    expect(stdout).toContain(
      '  left in the queue: the replay failed: AccessDeniedException: not authorized to perform: dynamodb:GetShardIterator',
    );
    expect(queue.commands.map((command) => command.name)).toEqual([
      'ReceiveMessageCommand',
      'ReceiveMessageCommand',
      'ChangeMessageVisibilityCommand',
    ]);
    expect(queue.commands[2]?.input).toEqual({
      QueueUrl: QUEUE_URL,
      ReceiptHandle: 'handle-m1',
      VisibilityTimeout: 0,
    });
  });

  it('keeps a message from another table without reading anything', async () => {
    const other = ON_FAILURE.replace(`table/${TABLE}/`, 'table/SomeOtherTable/');
    const queue = fakeQueue([[message('m1', other)], []]);
    const { code, stdout } = await run(['--yes', ...TARGET_ARGS], { sqs: queue.client, streams: unusable });
    expect(code).toBe(1);
    expect(stdout).toContain(
      `  left in the queue: its stream belongs to table SomeOtherTable, not to ${TABLE}`,
    );
  });

  it('handles a message the queue hands out again during the run only once', async () => {
    const unreadable = message('m1', 'not json');
    const again = { ...unreadable, ReceiptHandle: 'handle-m1-second' };
    const queue = fakeQueue([[unreadable], [again]]);
    const { code, stdout } = await run(['--yes', ...TARGET_ARGS], { sqs: queue.client });
    expect(code).toBe(1);
    expect(stdout.match(/cannot be read/g)).toHaveLength(1);
    expect(stdout).toContain('Summary: 1 message(s)');
    // Only the latest receipt handle can release it.
    const release = queue.commands.find((command) => command.name === 'ChangeMessageVisibilityCommand');
    expect(release?.input.ReceiptHandle).toBe('handle-m1-second');
  });

  it('keeps a message whose events were published but which could not be deleted, and says so', async () => {
    const events = new CampaignEventFactory({ seed: 7, clientId: 100001 }).batch(2, ['open']);
    const streamRecords = events.map((raw, index) => {
      const item = storedItem(raw, { eventTypes: ['open'], receivedAt: new Date('2026-11-26T20:00:00Z') });
      return {
        eventName: 'INSERT',
        dynamodb: { SequenceNumber: String(100 + index), NewImage: item },
      };
    });
    const streams = {
      async send(command: unknown) {
        if (command instanceof GetShardIteratorCommand) return { ShardIterator: 'iterator' };
        if (command instanceof GetRecordsCommand)
          return { Records: streamRecords, NextShardIterator: 'next' };
        throw new Error('unexpected command');
      },
    };
    const published: unknown[] = [];
    const sns = {
      async send(command: PublishBatchCommand): Promise<PublishBatchCommandOutput> {
        const entries = command.input.PublishBatchRequestEntries ?? [];
        published.push(...entries);
        const Successful = entries.map((entry) => ({ Id: entry.Id, MessageId: `m-${entry.Id}` }));
        return { Successful, Failed: [], $metadata: {} };
      },
    };
    const denied = Object.assign(new Error('Access to the resource is denied.'), { name: 'AccessDenied' });
    const queue = fakeQueue([[message('m1', ON_FAILURE)], []], { DeleteMessageCommand: denied });
    const { code, stdout } = await run(['--yes', ...TARGET_ARGS], { sqs: queue.client, streams, sns });
    expect(code).toBe(1);
    expect(published).toHaveLength(2);
    expect(stdout).toContain('  published 2: open 2');
    expect(stdout).toContain(
      '  left in the queue: its events were published, but deleting it failed (the next run publishes them again): AccessDenied: Access to the resource is denied.',
    );
    expect(queue.commands.map((command) => command.name)).toContain('ChangeMessageVisibilityCommand');
  });

  describe("past the stream's 24 hours (the table is read)", () => {
    /** Two accepted open events received at the batch's arrival, as Scan returns them. */
    function table() {
      const items = new CampaignEventFactory({ seed: 8, clientId: 100001 })
        .batch(2, ['open'])
        .map((raw) =>
          storedItem(raw, { eventTypes: ['open'], receivedAt: new Date('2026-11-26T20:00:00Z') }),
        );
      const scans: unknown[] = [];
      return {
        scans,
        client: {
          async send(command: unknown) {
            if (!(command instanceof ScanCommand)) throw new Error('unexpected command');
            scans.push(command.input);
            return { Items: items };
          },
        },
      };
    }
    const trimmed = {
      async send(): Promise<never> {
        throw Object.assign(new Error('Attempting to access trimmed data'), {
          name: 'TrimmedDataAccessException',
        });
      },
    };
    function sns() {
      const published: unknown[] = [];
      return {
        published,
        client: {
          async send(command: PublishBatchCommand): Promise<PublishBatchCommandOutput> {
            const entries = command.input.PublishBatchRequestEntries ?? [];
            published.push(...entries);
            const Successful = entries.map((entry) => ({ Id: entry.Id, MessageId: `m-${entry.Id}` }));
            return { Successful, Failed: [], $metadata: {} };
          },
        },
      };
    }

    it('publishes the window but keeps the message: completeness cannot be proven from the table', async () => {
      const queue = fakeQueue([[message('m1', ON_FAILURE)], []]);
      const topic = sns();
      const { code, stdout } = await run(['--yes', ...TARGET_ARGS], {
        sqs: queue.client,
        streams: trimmed,
        dynamodb: table().client,
        sns: topic.client,
      });
      expect(code).toBe(1);
      expect(topic.published).toHaveLength(2);
      // The span in which the fan-out logged the events it could not publish (the operator's check).
      expect(stdout).toContain(
        'arrived 2026-11-26T20:00:00Z..2026-11-26T20:00:00Z, parked 2026-11-26T20:03:10.000Z',
      );
      expect(stdout).toContain('records from the table: 2 accepted event(s) received');
      expect(stdout).toContain('COMPLETENESS CANNOT BE PROVEN from the table');
      expect(stdout).toContain(
        '  left in the queue: its events were read from the table, which cannot prove that every event of the batch was among them',
      );
      expect(stdout).toMatch(
        /Summary: 1 message\(s\), 0 replayed and deleted, 1 left in the queue \(0 unreadable, 1 replayed from the table, not provably complete, 0 not fully published\)/,
      );
      const names = queue.commands.map((command) => command.name);
      expect(names).not.toContain('DeleteMessageCommand');
      expect(names).toContain('ChangeMessageVisibilityCommand');
    });

    it('deletes it with --accept-table-window once the window is published in full', async () => {
      const queue = fakeQueue([[message('m1', ON_FAILURE)], []]);
      const topic = sns();
      const { code, stdout } = await run(['--yes', '--accept-table-window', ...TARGET_ARGS], {
        sqs: queue.client,
        streams: trimmed,
        dynamodb: table().client,
        sns: topic.client,
      });
      expect(code).toBe(0);
      expect(topic.published).toHaveLength(2);
      expect(stdout).toContain('--accept-table-window: a batch read from the table counts as complete');
      expect(stdout).toContain('  deleted from the queue');
      expect(queue.commands.map((command) => command.name)).toContain('DeleteMessageCommand');
    });

    it('says in a dry run that the message would be kept, and with the flag that it would go', async () => {
      for (const [args, outcome] of [
        [[], '  would be left in the queue: its events were read from the table'],
        [['--accept-table-window'], '  would be deleted from the queue'],
      ] as const) {
        const queue = fakeQueue([[message('m1', ON_FAILURE)], []]);
        const { stdout } = await run([...args, ...TARGET_ARGS], {
          sqs: queue.client,
          streams: trimmed,
          dynamodb: table().client,
          sns: unusable,
        });
        expect(stdout).toContain(outcome);
        expect(queue.commands.map((command) => command.name)).not.toContain('DeleteMessageCommand');
      }
    });
  });

  it('reports a queue it cannot read as an error, exit 1', async () => {
    const denied = Object.assign(new Error('Access to the resource is denied.'), { name: 'AccessDenied' });
    const queue = fakeQueue([], { ReceiveMessageCommand: denied });
    const { code, stderr } = await run([...TARGET_ARGS], { sqs: queue.client });
    expect(code).toBe(1);
    expect(stderr).toBe('Error: AccessDenied: Access to the resource is denied.');
  });
});
