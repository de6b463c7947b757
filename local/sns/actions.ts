import {
  listParam,
  mapParam,
  type QueryTree,
  SnsError,
  stringParam,
  toXml,
  xmlMap,
} from '../sns-query-protocol.js';
import type { SnsFaults } from './faults.js';
import { asTree, MAX_PAYLOAD_BYTES, type PublishedMessage, payloadBytes, readMessage } from './messages.js';
import type { SnsTopics } from './topics.js';

const MAX_BATCH_ENTRIES = 10;
const LIST_TOPICS_PAGE_SIZE = 100;
const BATCH_ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;

/** An SNS action: the request's parameters in, the XML of its result out. */
export type SnsAction = (params: QueryTree) => string;

/** The actions the stand-in implements, over its topics and faults. */
export function snsActions(topics: SnsTopics, faults: SnsFaults): Record<string, SnsAction> {
  return {
    Publish: (params) => publish(params, topics, faults),
    PublishBatch: (params) => publishBatch(params, topics, faults),
    CreateTopic: (params) => createTopic(params, topics),
    ListTopics: (params) => listTopics(params, topics),
    GetTopicAttributes: (params) => getTopicAttributes(params, topics),
  };
}

function publish(params: QueryTree, topics: SnsTopics, faults: SnsFaults): string {
  const topicArn = stringParam(params, 'TopicArn') ?? stringParam(params, 'TargetArn');
  if (topicArn === undefined && stringParam(params, 'PhoneNumber') !== undefined) {
    throw new SnsError(
      400,
      'InvalidParameter',
      'SMS (PhoneNumber) is not supported by the local SNS stand-in',
    );
  }
  const topic = topics.require(topicArn);
  const entry = readMessage(params, topic.arn);
  const failure = faults.entryFailure(entry);
  if (failure) throw new SnsError(failure.status, failure.code, failure.message);
  topics.accept(entry);
  return toXml({ MessageId: entry.messageId });
}

function publishBatch(params: QueryTree, topics: SnsTopics, faults: SnsFaults): string {
  const entries = listParam(params, 'PublishBatchRequestEntries').map(asTree);
  const ids = checkBatch(entries);
  const topic = topics.require(stringParam(params, 'TopicArn'));
  const successful: Array<{ Id: string; MessageId: string }> = [];
  const failed: Array<{ Id: string; Code: string; Message: string; SenderFault: boolean }> = [];
  entries.forEach((entryParams, index) => {
    const id = ids[index] as string;
    let entry: PublishedMessage;
    try {
      entry = { ...readMessage(entryParams, topic.arn), batchEntryId: id };
    } catch (error) {
      if (!(error instanceof SnsError)) throw error;
      failed.push({ Id: id, Code: error.code, Message: error.message, SenderFault: true });
      return;
    }
    const failure = faults.entryFailure(entry);
    if (failure) {
      failed.push({ Id: id, Code: failure.code, Message: failure.message, SenderFault: failure.senderFault });
      return;
    }
    topics.accept(entry);
    successful.push({ Id: id, MessageId: entry.messageId });
  });
  return toXml({ Successful: successful, Failed: failed });
}

/** Checks a PublishBatch request as a whole, as SNS does before any entry; returns the entry ids. */
function checkBatch(entries: readonly QueryTree[]): string[] {
  if (entries.length > MAX_BATCH_ENTRIES) {
    throw new SnsError(
      400,
      'TooManyEntriesInBatchRequest',
      `The batch request contains more entries than permissible (${entries.length} > ${MAX_BATCH_ENTRIES}).`,
    );
  }
  if (entries.length === 0) {
    throw new SnsError(400, 'EmptyBatchRequest', "The batch request doesn't contain any entries.");
  }
  const ids = entries.map((entry) => stringParam(entry, 'Id') ?? '');
  const badId = ids.find((id) => !BATCH_ENTRY_ID.test(id));
  if (badId !== undefined) {
    throw new SnsError(
      400,
      'InvalidBatchEntryId',
      `The Id of a batch entry in a batch request doesn't abide by the specification: "${badId}" (1-80 letters, digits, - and _).`,
    );
  }
  if (new Set(ids).size !== ids.length) {
    throw new SnsError(
      400,
      'BatchEntryIdsNotDistinct',
      'Two or more batch entries in the request have the same Id.',
    );
  }
  const totalBytes = entries.reduce((sum, entry) => sum + payloadBytes(entry), 0);
  if (totalBytes > MAX_PAYLOAD_BYTES) {
    throw new SnsError(
      400,
      'BatchRequestTooLong',
      `The length of all the batch messages put together is more than the limit (${totalBytes} > ${MAX_PAYLOAD_BYTES} bytes).`,
    );
  }
  return ids;
}

function createTopic(params: QueryTree, topics: SnsTopics): string {
  const attributes = Object.fromEntries(
    mapParam(params, 'Attributes', 'key', 'value').map(([key, value]) => [
      key,
      typeof value === 'string' ? value : '',
    ]),
  );
  const name = stringParam(params, 'Name');
  if (name === undefined) {
    throw new SnsError(
      400,
      'InvalidParameter',
      'Invalid parameter: Name Reason: no value for required parameter',
    );
  }
  return toXml({ TopicArn: topics.create(name, attributes) });
}

function listTopics(params: QueryTree, topics: SnsTopics): string {
  const arns = [...topics.topics.keys()];
  const token = stringParam(params, 'NextToken');
  const start = token === undefined ? 0 : Number(token);
  if (!Number.isInteger(start) || start < 0 || start > arns.length) {
    throw new SnsError(400, 'InvalidParameter', 'Invalid parameter: NextToken');
  }
  const page = arns.slice(start, start + LIST_TOPICS_PAGE_SIZE);
  const next = start + page.length < arns.length ? String(start + page.length) : undefined;
  return toXml({ Topics: page.map((arn) => ({ TopicArn: arn })), NextToken: next });
}

function getTopicAttributes(params: QueryTree, topics: SnsTopics): string {
  const topic = topics.require(stringParam(params, 'TopicArn'));
  const attributes: Record<string, string> = {
    DisplayName: '',
    ...topic.attributes,
    TopicArn: topic.arn,
    Owner: topics.accountId,
    SubscriptionsConfirmed: String(topics.subscriptionCount(topic.arn)),
    SubscriptionsPending: '0',
    SubscriptionsDeleted: '0',
  };
  return `<Attributes>${xmlMap(attributes)}</Attributes>`;
}
