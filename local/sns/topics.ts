import { type AttributeMatcher, compileFilterPolicy } from '../sns-filter-policy.js';
import { SnsError } from '../sns-query-protocol.js';
import type { PublishedMessage } from './messages.js';

const TOPIC_NAME = /^[A-Za-z0-9_-]{1,256}$/;
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;

export interface Topic {
  arn: string;
  name: string;
  attributes: Record<string, string>;
}

export interface DeliveryError {
  topicArn: string;
  messageId: string;
  error: unknown;
}

type Listener = (msg: PublishedMessage) => void | Promise<void>;

interface Subscription {
  topicArn: string;
  listener: Listener;
  matches: AttributeMatcher;
}

/** The SNS stand-in's state: topics, in-process subscriptions, and every accepted message and delivery. */
export class SnsTopics {
  readonly topics = new Map<string, Topic>();
  readonly published: PublishedMessage[] = [];
  readonly deliveryErrors: DeliveryError[] = [];
  private readonly subscriptions = new Set<Subscription>();
  private readonly pendingDeliveries = new Set<Promise<void>>();

  constructor(
    readonly region: string,
    readonly accountId: string,
  ) {}

  create(name: string, attributes: Record<string, string> = {}): string {
    if (!TOPIC_NAME.test(name)) {
      throw new SnsError(400, 'InvalidParameter', 'Invalid parameter: Topic Name');
    }
    if (attributes.FifoTopic === 'true') {
      throw new SnsError(400, 'InvalidParameter', 'FIFO topics are not supported by the local SNS stand-in');
    }
    const arn = `arn:aws:sns:${this.region}:${this.accountId}:${name}`;
    if (!this.topics.has(arn)) this.topics.set(arn, { arn, name, attributes: { ...attributes } });
    return arn;
  }

  require(arn: string | undefined, parameter = 'TopicArn'): Topic {
    if (arn === undefined || arn === '') {
      throw new SnsError(
        400,
        'InvalidParameter',
        `Invalid parameter: ${parameter} Reason: no value for required parameter`,
      );
    }
    if (!TOPIC_ARN.test(arn)) throw new SnsError(400, 'InvalidParameter', `Invalid parameter: ${parameter}`);
    const topic = this.topics.get(arn);
    if (topic === undefined) throw new SnsError(404, 'NotFound', 'Topic does not exist');
    return topic;
  }

  subscribe(topicArn: string, listener: Listener, filterPolicy?: object): () => void {
    if (!this.topics.has(topicArn)) throw new Error(`Cannot subscribe: topic ${topicArn} does not exist`);
    const subscription: Subscription = {
      topicArn,
      listener,
      matches: filterPolicy === undefined ? () => true : compileFilterPolicy(filterPolicy),
    };
    this.subscriptions.add(subscription);
    return () => {
      this.subscriptions.delete(subscription);
    };
  }

  subscriptionCount(topicArn: string): number {
    return [...this.subscriptions].filter((subscription) => subscription.topicArn === topicArn).length;
  }

  /** Records an accepted message and delivers a copy to each matching subscriber, after the response. */
  accept(message: PublishedMessage): void {
    this.published.push(message);
    for (const subscription of this.subscriptions) {
      if (subscription.topicArn !== message.topicArn || !subscription.matches(message.messageAttributes))
        continue;
      const copy = structuredClone(message);
      const delivery = new Promise<void>((resolve) => setImmediate(resolve))
        .then(() => subscription.listener(copy))
        .catch((error: unknown) => {
          this.deliveryErrors.push({ topicArn: message.topicArn, messageId: message.messageId, error });
        })
        .finally(() => this.pendingDeliveries.delete(delivery));
      this.pendingDeliveries.add(delivery);
    }
  }

  async deliveriesSettled(): Promise<void> {
    while (this.pendingDeliveries.size > 0) await Promise.all([...this.pendingDeliveries]);
  }
}
