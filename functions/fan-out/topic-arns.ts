import { type CampaignEventType, isCampaignEventType } from '../shared/campaign-event-types.js';

/**
 * Parses TOPIC_ARNS, a JSON object of registration type name -> SNS topic ARN, naming what is wrong.
 */
export function parseTopicArns(json: string): ReadonlyMap<CampaignEventType, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error('TOPIC_ARNS must be a JSON object of event type -> topic ARN; it is not JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error('TOPIC_ARNS must be a JSON object of event type -> topic ARN');
  }
  const topics = new Map<CampaignEventType, string>();
  for (const [type, arn] of Object.entries(parsed)) {
    if (!isCampaignEventType(type)) throw new Error(`TOPIC_ARNS: "${type}" is not a Campaign event type`);
    if (typeof arn !== 'string' || !arn.startsWith('arn:')) {
      throw new Error(`TOPIC_ARNS: the topic of "${type}" must be an ARN string`);
    }
    topics.set(type, arn);
  }
  return topics;
}
