import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { describe, expect, it } from 'vitest';
import {
  readStackOutputs,
  resolveTargets,
  STACK_OUTPUTS,
  type StackClient,
} from '../../../scripts/redrive/targets.js';
import { synthStack } from '../../support/synth.js';

const QUEUE_URL = 'https://sqs.eu-central-1.amazonaws.com/123456789012/CampaignEvents-FanOutDeadLetterQueue';
const OUTPUTS = {
  FanOutDeadLetterQueueUrl: QUEUE_URL,
  EventTableName: 'CampaignEvents-EventTable',
  TopicArnBounce: 'arn:aws:sns:eu-central-1:123456789012:CampaignEvents-bounce',
  TopicArnSpamcomplaint: 'arn:aws:sns:eu-central-1:123456789012:CampaignEvents-spamcomplaint',
  EndpointUrl: 'https://example.execute-api.eu-central-1.amazonaws.com/prod/events',
};

describe('resolveTargets', () => {
  it('reads the queue, table and every topic from the stack outputs', () => {
    const targets = resolveTargets({ stackName: 'CampaignEvents', stackOutputs: OUTPUTS });
    expect(targets).toEqual({
      queueUrl: QUEUE_URL,
      tableName: 'CampaignEvents-EventTable',
      topicArns: new Map([
        ['bounce', OUTPUTS.TopicArnBounce],
        ['spamcomplaint', OUTPUTS.TopicArnSpamcomplaint],
      ]),
    });
  });

  it('lets explicit values override the outputs, or stand alone', () => {
    const topicArnsJson = JSON.stringify({ open: 'arn:aws:sns:eu-central-1:123456789012:open' });
    const targets = resolveTargets({
      stackName: 'CampaignEvents',
      stackOutputs: OUTPUTS,
      tableName: 'restored-table',
      topicArnsJson,
    });
    expect(targets.tableName).toBe('restored-table');
    expect([...targets.topicArns]).toEqual([['open', 'arn:aws:sns:eu-central-1:123456789012:open']]);
    expect(resolveTargets({ queueUrl: QUEUE_URL, tableName: 't1', topicArnsJson }).queueUrl).toBe(QUEUE_URL);
  });

  it('names every missing target, and the stack output it was looked for in', () => {
    expect(() => resolveTargets({})).toThrow(
      'Missing --queue-url, --table-name, --topic-arns. Pass --stack <name>, or each of these.',
    );
    expect(() => resolveTargets({ stackName: 'Old', stackOutputs: { EventTableName: 't' } })).toThrow(
      'Missing --queue-url (stack Old has no output FanOutDeadLetterQueueUrl), --topic-arns (stack Old has no outputs named TopicArnBounce and the like)',
    );
  });

  it('refuses a malformed topic map or queue URL precisely', () => {
    const base = { queueUrl: QUEUE_URL, tableName: 't1' };
    expect(() => resolveTargets({ ...base, topicArnsJson: '{bounce:' })).toThrow(
      '--topic-arns: must be a JSON object of event type -> topic ARN; it is not JSON',
    );
    expect(() => resolveTargets({ ...base, topicArnsJson: '{"teleport": "arn:aws:sns:x:1:t"}' })).toThrow(
      '--topic-arns: "teleport" is not a Campaign event type',
    );
    expect(() =>
      resolveTargets({ ...base, queueUrl: 'CampaignEvents-FanOutDeadLetterQueue', topicArnsJson: '{}' }),
    ).toThrow('--topic-arns');
    expect(() =>
      resolveTargets({
        ...base,
        queueUrl: 'CampaignEvents-FanOutDeadLetterQueue',
        topicArnsJson: '{"open": "arn:aws:sns:x:1:open"}',
      }),
    ).toThrow('--queue-url is not an SQS queue URL');
  });

  it('finds the outputs the synthesized stack declares', () => {
    const { template } = synthStack();
    const outputKeys = Object.keys(template.toJSON().Outputs as Record<string, unknown>);
    const outputs = Object.fromEntries(
      outputKeys.map((key) => [
        key,
        key === STACK_OUTPUTS.queueUrl
          ? QUEUE_URL
          : key.startsWith('TopicArn')
            ? `arn:aws:sns:x:1:${key}`
            : key,
      ]),
    );
    const targets = resolveTargets({ stackName: 'TestStack', stackOutputs: outputs });
    expect(targets.tableName).toBe(STACK_OUTPUTS.tableName);
    expect(targets.topicArns.size).toBe(12);
    expect(targets.topicArns.get('filteredbyblocklist')).toBe('arn:aws:sns:x:1:TopicArnFilteredbyblocklist');
  });
});

describe('readStackOutputs', () => {
  const client = (answer: () => Promise<unknown>) => {
    const inputs: unknown[] = [];
    const fake = {
      async send(command: unknown) {
        if (!(command instanceof DescribeStacksCommand)) throw new Error('unexpected command');
        inputs.push(command.input);
        return answer();
      },
    } as unknown as StackClient;
    return { fake, inputs };
  };

  it('returns the outputs by key', async () => {
    const { fake, inputs } = client(async () => ({
      Stacks: [
        {
          StackName: 'CampaignEvents',
          Outputs: [
            { OutputKey: 'EventTableName', OutputValue: 't1' },
            { OutputKey: 'FanOutDeadLetterQueueUrl', OutputValue: QUEUE_URL },
          ],
        },
      ],
    }));
    expect(await readStackOutputs(fake, 'CampaignEvents')).toEqual({
      EventTableName: 't1',
      FanOutDeadLetterQueueUrl: QUEUE_URL,
    });
    expect(inputs).toEqual([{ StackName: 'CampaignEvents' }]);
  });

  it('says which stack could not be read and why', async () => {
    const missing = client(async () => {
      throw Object.assign(new Error('Stack with id Nope does not exist'), { name: 'ValidationError' });
    });
    await expect(readStackOutputs(missing.fake, 'Nope')).rejects.toThrow(
      'Cannot read the outputs of stack Nope: ValidationError: Stack with id Nope does not exist',
    );
  });
});
