import type {
  FilterLogEventsCommandInput,
  FilterLogEventsCommandOutput,
} from '@aws-sdk/client-cloudwatch-logs';
import type { PublishCommandInput } from '@aws-sdk/client-sns';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { createAlarmFormatterHandler } from '../../../functions/alarm-formatter/alarm-formatter-handler.js';
import {
  alarmWindow,
  type FilterLogEvents,
  findParkedEvents,
  MAX_PARKED_LISTED,
  METRIC_DELAY_MS,
  PAGE_LIMIT,
  parkedEventLines,
  parkedFields,
  recordParkedFilterPattern,
} from '../../../functions/alarm-formatter/parked-events.js';
import { parseCloudWatchAlarmMessage } from '../../../functions/shared/alerts/alert.js';
import { RECORD_PARKED_LOG_MESSAGE } from '../../../functions/shared/contracts/parked-events-log.js';
import { createObservability } from '../../../functions/shared/observability.js';
import { createLambdaContext } from '../../../local/lambda-context.js';
import { compileFilterPattern } from '../../../local/logs/filter-pattern.js';
import { cloudWatchAlarmMessage, snsEvent } from './fixtures.js';

const PARKED_ALARM = 'CampaignEvents-critical-dlq-parked-events';
const LOG_GROUP = '/aws/lambda/CampaignEvents-FanOutFunction';

/** A `Record parked` line as the fan-out's Powertools Logger writes it. */
function parkedLine(
  eventKey: string,
  code = 'InvalidParameter',
  reason = `${code}: Invalid parameter: Message`,
) {
  return JSON.stringify({
    level: 'WARN',
    message: RECORD_PARKED_LOG_MESSAGE,
    service: 'fan-out',
    timestamp: '2026-05-04T10:01:00.000Z',
    sequenceNumber: '100',
    eventType: 'bounce',
    eventKey,
    code,
    reason,
  });
}

/** FilterLogEvents over `lines`, paged by `pageSize`, applying the pattern the way CloudWatch Logs would. */
function logOf(lines: string[], pageSize = PAGE_LIMIT) {
  const calls: FilterLogEventsCommandInput[] = [];
  const filter: FilterLogEvents = async (input) => {
    calls.push(input);
    const matches = compileFilterPattern(input.filterPattern);
    const matching = lines.filter(matches);
    const from = Number(input.nextToken ?? 0);
    const page = matching.slice(from, from + Math.min(pageSize, input.limit ?? PAGE_LIMIT));
    const next = from + page.length;
    return {
      events: page.map((message, index) => ({ message, timestamp: 1, eventId: String(from + index) })),
      ...(next < matching.length ? { nextToken: String(next) } : {}),
      $metadata: {},
    } satisfies FilterLogEventsCommandOutput;
  };
  return { calls, filter };
}

const WINDOW = { startTime: 0, endTime: 1 };

describe('finding the parked events in the fan-out log', () => {
  it("asks for the fan-out's Record parked lines only, in the alarm's window", async () => {
    const { calls, filter } = logOf([parkedLine('bounce#a')]);
    await findParkedEvents(filter, LOG_GROUP, { startTime: 10, endTime: 20 });
    expect(calls).toEqual([
      {
        logGroupName: LOG_GROUP,
        startTime: 10,
        endTime: 20,
        filterPattern: recordParkedFilterPattern(),
        limit: PAGE_LIMIT,
      },
    ]);
    expect(compileFilterPattern(recordParkedFilterPattern())(parkedLine('bounce#a'))).toBe(true);
    const held = JSON.stringify({ message: 'Record held: SNS still failing', eventKey: 'bounce#b' });
    expect(compileFilterPattern(recordParkedFilterPattern())(held)).toBe(false);
  });

  it('names the first ten distinct events and counts the rest across pages', async () => {
    const keys = Array.from({ length: 25 }, (_, index) => `bounce#${index}`);
    const lines = [...keys, 'bounce#0'].map((key) => parkedLine(key));
    const { filter } = logOf(lines, 7);
    const found = await findParkedEvents(filter, LOG_GROUP, WINDOW);
    expect(found.events.map((event) => event.eventKey)).toEqual(keys.slice(0, MAX_PARKED_LISTED));
    expect(found).toMatchObject({ more: 15, truncated: false });
  });

  it('stops after its page budget and says "at least"', async () => {
    const lines = Array.from({ length: 40 }, (_, index) => parkedLine(`bounce#${index}`));
    const { calls, filter } = logOf(lines, 5);
    const found = await findParkedEvents(filter, LOG_GROUP, WINDOW);
    expect(calls).toHaveLength(5);
    expect(found).toMatchObject({ more: 15, truncated: true });
    expect(parkedEventLines(found).at(-1)).toBe(
      '… and at least 15 more: list them all with `npm run redrive -- --parked --stack <stack name>`.',
    );
  });

  test.prop([fc.array(fc.string({ minLength: 1, maxLength: 40 }), { maxLength: 30 })])(
    'never names more than ten events, and names plus count cover every distinct key',
    async (keys) => {
      const { filter } = logOf(keys.map((key) => parkedLine(key)));
      const found = await findParkedEvents(filter, LOG_GROUP, WINDOW);
      expect(found.events.length).toBeLessThanOrEqual(MAX_PARKED_LISTED);
      expect(found.events.length + found.more).toBe(new Set(keys).size);
    },
  );

  it('reads key, code and reason from a Record parked line, and nothing from other lines', () => {
    expect(parkedFields(parkedLine('bounce#a', 'NoTopic', 'no topic for type x'))).toEqual({
      eventKey: 'bounce#a',
      code: 'NoTopic',
      reason: 'no topic for type x',
    });
    expect(parkedFields('START RequestId: 1')).toBeUndefined();
    expect(parkedFields(JSON.stringify({ message: 'Stream batch fanned out' }))).toBeUndefined();
  });
});

describe('the alert lines', () => {
  it('one line per event: key, code and reason (the code not repeated), cut at 200 characters', () => {
    const long = `InvalidParameter: ${'x'.repeat(300)}`;
    const lines = parkedEventLines({
      events: [
        {
          eventKey: 'bounce#a',
          code: 'InvalidParameter',
          reason: 'InvalidParameter: Invalid parameter: Message',
        },
        { eventKey: 'bounce#b', code: 'InvalidParameter', reason: long },
      ],
      more: 0,
      truncated: false,
    });
    expect(lines[0]).toBe('Parked: bounce#a — InvalidParameter: Invalid parameter: Message');
    expect(lines[1]?.startsWith('Parked: bounce#b — InvalidParameter: xxx')).toBe(true);
    expect(lines[1]?.endsWith('…')).toBe(true);
    expect(lines).toHaveLength(2);
  });

  it('says so when the window has no Record parked line', () => {
    expect(parkedEventLines({ events: [], more: 0, truncated: false })).toEqual([
      'Parked: no "Record parked" line in the fan-out log for this alarm\'s window; list the parked events with `npm run redrive -- --parked --stack <stack name>`.',
    ]);
  });

  it("the window: the alarm's evaluated periods and the queue metric's delay, up to the state change", () => {
    const message = parseCloudWatchAlarmMessage(
      cloudWatchAlarmMessage({
        StateChangeTime: '2026-05-04T10:05:00.000+0000',
        Trigger: { Period: 300, EvaluationPeriods: 2 },
      }),
    );
    const end = Date.parse('2026-05-04T10:05:00.000Z');
    expect(alarmWindow(message as NonNullable<typeof message>, new Date(0))).toEqual({
      startTime: end - 600_000 - METRIC_DELAY_MS,
      endTime: end,
    });
  });
});

describe('the formatter with the parked-events lookup', () => {
  async function format(message: Record<string, unknown>, filter: FilterLogEvents) {
    const published: PublishCommandInput[] = [];
    const handler = createAlarmFormatterHandler({
      ...createObservability(),
      alertsTopicArn: 'arn:aws:sns:eu-central-1:123456789012:CampaignEvents-alerts',
      publish: async (input) => void published.push(input),
      parkedEventsLog: { logGroupName: LOG_GROUP, filter },
    });
    await handler(
      snsEvent([{ message: JSON.stringify(message) }]),
      createLambdaContext({ functionName: 'alarm-formatter' }),
    );
    expect(published).toHaveLength(1);
    const { email, default: chatbot } = JSON.parse(published[0]?.Message ?? '{}') as Record<string, string>;
    return { email: email ?? '', chatbot: chatbot ?? '' };
  }

  it('names the parked events in the email and in the chat notification', async () => {
    const { filter } = logOf([parkedLine('bounce#a')]);
    const { email, chatbot } = await format(cloudWatchAlarmMessage({ AlarmName: PARKED_ALARM }), filter);
    expect(email).toContain('\nParked: bounce#a — InvalidParameter: Invalid parameter: Message\n');
    expect(JSON.parse(chatbot).content.description).toContain('Parked: bounce#a — InvalidParameter');
    expect(JSON.parse(chatbot).metadata.additionalContext.details).toBe(
      'Parked: bounce#a — InvalidParameter: Invalid parameter: Message',
    );
  });

  it('still publishes the alert when the log cannot be read, saying how to list the parked events', async () => {
    const denied = Object.assign(new Error('not authorized to perform logs:FilterLogEvents'), {
      name: 'AccessDeniedException',
    });
    const { email } = await format(cloudWatchAlarmMessage({ AlarmName: PARKED_ALARM }), async () => {
      throw denied;
    });
    expect(email).toContain(
      "Parked: the parked events' keys could not be read from the fan-out log (AccessDeniedException); list them with `npm run redrive -- --parked --stack <stack name>`.",
    );
  });

  it('reads no log for other alarms, nor when the parked-events alarm clears', async () => {
    const { calls, filter } = logOf([parkedLine('bounce#a')]);
    const other = await format(cloudWatchAlarmMessage(), filter);
    const cleared = await format(
      cloudWatchAlarmMessage({ AlarmName: PARKED_ALARM, NewStateValue: 'OK' }),
      filter,
    );
    expect(calls).toEqual([]);
    expect(other.email).not.toContain('Parked:');
    expect(cleared.email).not.toContain('Parked:');
  });
});
