import { type CampaignEventType, isCampaignEventType } from '../campaign-event-types.js';

/** Parsers and formatters of environment values; a parser's message follows "Environment variable NAME: ". */

export function text(raw: string): string {
  return raw;
}

export function positiveInteger(raw: string): number {
  const value = Number(raw);
  if (!/^\s*\d+\s*$/.test(raw) || !Number.isSafeInteger(value) || value < 1) {
    throw new Error(`must be a positive integer, got "${raw}"`);
  }
  return value;
}

/** A comma-separated list of registration type names, e.g. `sent,bounce`. */
export function eventTypeList(raw: string): readonly CampaignEventType[] {
  const names = raw
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  const unknown = names.filter((name) => !isCampaignEventType(name));
  if (unknown.length > 0 || names.length === 0) {
    throw new Error(
      `must list Campaign registration type names, comma-separated; not recognized: ${
        unknown.join(', ') || '(empty list)'
      }`,
    );
  }
  return names as CampaignEventType[];
}

export function formatEventTypeList(types: readonly CampaignEventType[]): string {
  return types.join(',');
}

/** A JSON object of registration type name -> SNS topic ARN. */
export function topicArnMap(raw: string): ReadonlyMap<CampaignEventType, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error('must be a JSON object of event type -> topic ARN; it is not JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error('must be a JSON object of event type -> topic ARN');
  }
  const topics = new Map<CampaignEventType, string>();
  for (const [type, arn] of Object.entries(parsed)) {
    if (!isCampaignEventType(type)) throw new Error(`"${type}" is not a Campaign event type`);
    if (typeof arn !== 'string' || !arn.startsWith('arn:')) {
      throw new Error(`the topic of "${type}" must be an ARN string`);
    }
    topics.set(type, arn);
  }
  return topics;
}

/** JSON of the map; token strings (CDK) pass through as strings and are resolved in the template. */
export function formatTopicArnMap(topics: ReadonlyMap<CampaignEventType, string>): string {
  return JSON.stringify(Object.fromEntries(topics));
}

/** `none`, or a name (an optional resource: every variable a spec lists is written). */
export function optionalText(raw: string): string | undefined {
  return raw.trim() === 'none' ? undefined : text(raw);
}

export function formatOptionalText(value: string | undefined): string {
  return value ?? 'none';
}

/** `none`, or a positive integer (an optional id: every variable a spec lists is written). */
export function optionalPositiveInteger(raw: string): number | undefined {
  return raw.trim() === 'none' ? undefined : positiveInteger(raw);
}

export function formatOptionalPositiveInteger(value: number | undefined): string {
  return value === undefined ? 'none' : String(value);
}

export function booleanFlag(raw: string): boolean {
  if (raw !== 'true' && raw !== 'false') throw new Error(`must be true or false, got "${raw}"`);
  return raw === 'true';
}

/** A JSON object of registration type name -> field names, e.g. `{"sent":["mailingId"]}`. */
export function fieldsByEventType(
  raw: string,
): Readonly<Partial<Record<CampaignEventType, readonly string[]>>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error('must be a JSON object of event type -> field names; it is not JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error('must be a JSON object of event type -> field names');
  }
  for (const [type, fields] of Object.entries(parsed)) {
    if (!isCampaignEventType(type)) throw new Error(`"${type}" is not a Campaign event type`);
    if (!Array.isArray(fields) || !fields.every((field) => typeof field === 'string' && field !== '')) {
      throw new Error(`the fields of "${type}" must be a list of field names`);
    }
  }
  return parsed as Partial<Record<CampaignEventType, readonly string[]>>;
}
