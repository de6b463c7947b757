import { randomUUID } from 'node:crypto';
import { mapParam, type QueryTree, type QueryValue, SnsError, stringParam } from '../sns-query-protocol.js';

export interface PublishedMessage {
  topicArn: string;
  messageId: string;
  message: string;
  subject?: string;
  messageAttributes: Record<string, { dataType: string; stringValue?: string; binaryValue?: string }>;
  messageStructure?: string;
  messageGroupId?: string;
  messageDeduplicationId?: string;
  /** The PublishBatch entry Id, when the message came in a batch. */
  batchEntryId?: string;
}

// SNS limits (https://docs.aws.amazon.com/general/latest/gr/sns.html and the API reference).
export const MAX_PAYLOAD_BYTES = 262_144;
const MAX_MESSAGE_ATTRIBUTES = 10;
const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]{1,256}$/;
const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export function asTree(value: QueryValue): QueryTree {
  return typeof value === 'object' ? value : {};
}

/** Bytes SNS counts toward the 256 KiB limit: the message plus each attribute's name, type and value. */
export function payloadBytes(params: QueryTree): number {
  let bytes = Buffer.byteLength(stringParam(params, 'Message') ?? '');
  for (const [name, value] of mapParam(params, 'MessageAttributes', 'Name', 'Value')) {
    const attribute = asTree(value ?? {});
    bytes += Buffer.byteLength(name) + Buffer.byteLength(stringParam(attribute, 'DataType') ?? '');
    bytes += Buffer.byteLength(stringParam(attribute, 'StringValue') ?? '');
    bytes += Buffer.from(stringParam(attribute, 'BinaryValue') ?? '', 'base64').length;
  }
  return bytes;
}

/** Validates one message (Publish, or one PublishBatch entry) as SNS does, and builds its record. */
export function readMessage(params: QueryTree, topicArn: string): PublishedMessage {
  const message = stringParam(params, 'Message');
  if (message === undefined || message === '') {
    throw new SnsError(400, 'InvalidParameter', 'Invalid parameter: Empty message');
  }
  if (payloadBytes(params) > MAX_PAYLOAD_BYTES) {
    throw new SnsError(400, 'InvalidParameter', 'Invalid parameter: Message too long');
  }
  const subject = stringParam(params, 'Subject');
  if (subject !== undefined && !/^[\x21-\x7E][\x20-\x7E]{0,99}$/.test(subject)) {
    throw new SnsError(
      400,
      'InvalidParameter',
      'Invalid parameter: Subject (ASCII, starting with a letter, digit or punctuation, no line breaks, at most 100 characters)',
    );
  }
  const messageStructure = stringParam(params, 'MessageStructure');
  if (messageStructure !== undefined) checkMessageStructure(messageStructure, message);
  const record: PublishedMessage = {
    topicArn,
    messageId: randomUUID(),
    message,
    messageAttributes: readMessageAttributes(params),
  };
  if (subject !== undefined) record.subject = subject;
  if (messageStructure !== undefined) record.messageStructure = messageStructure;
  const groupId = stringParam(params, 'MessageGroupId');
  if (groupId !== undefined) record.messageGroupId = groupId;
  const deduplicationId = stringParam(params, 'MessageDeduplicationId');
  if (deduplicationId !== undefined) record.messageDeduplicationId = deduplicationId;
  return record;
}

function checkMessageStructure(messageStructure: string, message: string): void {
  if (messageStructure !== 'json') {
    throw new SnsError(400, 'InvalidParameter', 'Invalid parameter: MessageStructure');
  }
  if (!hasDefaultEntry(message)) {
    throw new SnsError(
      400,
      'InvalidParameter',
      'Invalid parameter: Message Structure - No default entry in JSON message body',
    );
  }
}

function hasDefaultEntry(message: string): boolean {
  try {
    const parsed: unknown = JSON.parse(message);
    return (
      typeof parsed === 'object' &&
      parsed !== null &&
      typeof (parsed as Record<string, unknown>).default === 'string'
    );
  } catch {
    return false;
  }
}

function readMessageAttributes(params: QueryTree): PublishedMessage['messageAttributes'] {
  const entries = mapParam(params, 'MessageAttributes', 'Name', 'Value');
  if (entries.length > MAX_MESSAGE_ATTRIBUTES) {
    throw new SnsError(
      400,
      'InvalidParameter',
      `Invalid parameter: Number of message attributes [${entries.length}] exceeds the allowed maximum [${MAX_MESSAGE_ATTRIBUTES}].`,
    );
  }
  const attributes: PublishedMessage['messageAttributes'] = {};
  for (const [name, value] of entries) {
    checkAttributeName(name);
    attributes[name] = readMessageAttribute(name, asTree(value ?? {}));
  }
  return attributes;
}

function checkAttributeName(name: string): void {
  if (!ATTRIBUTE_NAME.test(name) || name.startsWith('.') || name.endsWith('.') || name.includes('..')) {
    throw new SnsError(400, 'InvalidParameter', `Invalid parameter: MessageAttributes name "${name}"`);
  }
  if (/^(aws\.|amazon\.)/i.test(name)) {
    throw new SnsError(
      400,
      'InvalidParameter',
      `Invalid parameter: MessageAttributes name "${name}" uses a reserved prefix`,
    );
  }
}

function readMessageAttribute(
  name: string,
  attribute: QueryTree,
): PublishedMessage['messageAttributes'][string] {
  const dataType = stringParam(attribute, 'DataType') ?? '';
  const stringValue = stringParam(attribute, 'StringValue');
  const binaryValue = stringParam(attribute, 'BinaryValue');
  const invalid = (reason: string) =>
    new SnsError(400, 'ParameterValueInvalid', `The message attribute '${name}' ${reason}`);
  const base = dataType.split('.')[0];
  if (base === 'Binary') {
    if (!binaryValue) throw invalid('must contain a non-empty binary value (BinaryValue)');
    return { dataType, binaryValue };
  }
  if (base !== 'String' && base !== 'Number') {
    throw invalid(
      `has an invalid message attribute type "${dataType}", the set of supported type prefixes is Binary, Number, and String.`,
    );
  }
  if (stringValue === undefined || stringValue === '') {
    throw invalid('must contain a non-empty message attribute value (StringValue)');
  }
  if (base === 'Number' && !NUMERIC.test(stringValue.trim())) {
    throw invalid(`has type Number but its value "${stringValue}" is not a number`);
  }
  if (dataType === 'String.Array' && !isJsonArray(stringValue)) {
    throw invalid('has type String.Array but its value is not a JSON array');
  }
  return { dataType, stringValue };
}

function isJsonArray(text: string): boolean {
  try {
    return Array.isArray(JSON.parse(text));
  } catch {
    return false;
  }
}
