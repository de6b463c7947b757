import { compileEventPattern, EventPatternError, isObject } from './event-pattern.js';

/**
 * SNS subscription filter policies on message attributes (FilterPolicyScope "MessageAttributes", the SNS
 * default), for the stand-in's in-process subscribers. The grammar is the AWS event-pattern one
 * (event-pattern.ts, shared with Lambda filter criteria), applied to the attributes as a document: String
 * attributes are strings, Number attributes numbers, String.Array attributes arrays (any element
 * matches); Binary attributes are invisible to policies, as in SNS. Nested keys (MessageBody scope) are
 * refused, never silently ignored.
 */

export interface FilterableAttribute {
  dataType: string;
  stringValue?: string;
}

export type AttributeMatcher = (attributes: Record<string, FilterableAttribute>) => boolean;

export { EventPatternError as FilterPolicyError } from './event-pattern.js';

/** Compiles a filter policy into a matcher; throws an EventPatternError naming what is not supported. */
export function compileFilterPolicy(policy: object): AttributeMatcher {
  if (!isObject(policy)) throw new EventPatternError('A filter policy must be a JSON object');
  for (const [key, rules] of Object.entries(policy)) {
    if (key !== '$or' && !Array.isArray(rules)) {
      throw new EventPatternError(
        `Filter policy key "${key}" must map to an array of rules (nested keys need MessageBody scope, which is not supported)`,
      );
    }
  }
  const matches = compileEventPattern(policy, 'filter policy');
  return (attributes) => matches(attributeDocument(attributes));
}

function attributeDocument(attributes: Record<string, FilterableAttribute>): Record<string, unknown> {
  const document: Record<string, unknown> = {};
  for (const [name, attribute] of Object.entries(attributes)) {
    const value = attributeValue(attribute);
    if (value !== undefined) document[name] = value;
  }
  return document;
}

function attributeValue({ dataType, stringValue }: FilterableAttribute): unknown {
  if (stringValue === undefined || dataType.startsWith('Binary')) return undefined;
  if (dataType === 'String.Array') {
    try {
      const parsed: unknown = JSON.parse(stringValue);
      return Array.isArray(parsed)
        ? parsed.filter((item) => typeof item === 'string' || typeof item === 'number')
        : [];
    } catch {
      return [];
    }
  }
  if (dataType.startsWith('Number')) {
    const value = Number(stringValue);
    return Number.isFinite(value) ? value : [];
  }
  return stringValue;
}
