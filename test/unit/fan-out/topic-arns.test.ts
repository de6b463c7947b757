import { describe, expect, it } from 'vitest';
import { parseTopicArns } from '../../../functions/fan-out/topic-arns.js';

describe('parseTopicArns', () => {
  it('maps registration type names to topic ARNs', () => {
    const topics = parseTopicArns(
      '{"open":"arn:aws:sns:eu-central-1:1:open","archive":"arn:aws:sns:eu-central-1:1:a"}',
    );
    expect(Object.fromEntries(topics)).toEqual({
      open: 'arn:aws:sns:eu-central-1:1:open',
      archive: 'arn:aws:sns:eu-central-1:1:a',
    });
  });

  it('names what is wrong', () => {
    expect(() => parseTopicArns('nope')).toThrow(
      'TOPIC_ARNS must be a JSON object of event type -> topic ARN; it is not JSON',
    );
    expect(() => parseTopicArns('[]')).toThrow('TOPIC_ARNS must be a JSON object');
    expect(() => parseTopicArns('{"archived":"arn:x"}')).toThrow(
      'TOPIC_ARNS: "archived" is not a Campaign event type',
    );
    expect(() => parseTopicArns('{"open":"topic"}')).toThrow(
      'TOPIC_ARNS: the topic of "open" must be an ARN string',
    );
  });
});
