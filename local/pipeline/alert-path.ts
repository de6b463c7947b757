import type { Context } from 'aws-lambda';
import type { LocalHandlers } from './handlers.js';
import type { LocalResources } from './intrinsics.js';
import type { LocalServices, SnsDelivery } from './services.js';
import { invokeAsync, snsEventFor } from './sns-lambda.js';
import type { LocalFunctionKey, ResourceModel, StackModel } from './stack-model.js';

/**
 * The stack's SNS subscriptions, made locally: the alarm topic invokes the alarm-formatter handler, the
 * alerts topic the slack-notifier handler (each as an asynchronous SNS event, with Lambda's two retries;
 * what still fails would wait in the function's dead-letter queue), and each email subscription is rendered
 * as the email it would send, with the subscription's filter policy applied.
 */

/** An alert as an email subscription of the alerts topic would receive it. */
export interface RenderedEmail {
  readonly topic: string;
  /** The subscription's filter policy, if any. */
  readonly filterPolicy?: object;
  readonly severity?: string;
  readonly subject: string;
  readonly body: string;
}

export interface AlertPathOptions {
  readonly model: StackModel;
  readonly resources: LocalResources;
  readonly services: LocalServices;
  readonly handlers: LocalHandlers;
  /** A handler wrapped with the Lambda metrics. */
  readonly instrument: <E, R>(
    key: LocalFunctionKey,
    handler: (event: E, context: Context) => Promise<R>,
  ) => (event: E, context: Context) => Promise<R>;
  readonly newContext: (key: LocalFunctionKey) => Context;
  readonly onEmail: (email: RenderedEmail) => void;
  /** An asynchronous invocation that failed every attempt; `deadLetterQueue` is the logical id, if any. */
  readonly onLambdaFailure: (
    key: LocalFunctionKey,
    error: unknown,
    deadLetterQueue: string | undefined,
  ) => void;
  readonly onNote: (message: string) => void;
}

export async function wireAlertPath(opts: AlertPathOptions): Promise<void> {
  const { model, resources, services } = opts;
  const topicNames = new Map(
    model.topics.map((topic) => [resources.resolveString({ Ref: topic.logicalId }, topic.name), topic.name]),
  );
  for (const subscription of model.subscriptions) {
    const props = subscription.properties;
    const where = `subscription ${subscription.logicalId}`;
    const topicArn = resources.resolveString(props.TopicArn, where);
    const filterPolicy = props.FilterPolicy as object | undefined;
    if (props.Protocol === 'lambda') {
      await subscribeLambda(opts, subscription, topicArn);
    } else if (props.Protocol === 'email') {
      const topicName = topicNames.get(topicArn) ?? topicArn;
      await services.subscribe(
        topicArn,
        'email',
        (delivery) => opts.onEmail(renderEmail(delivery, topicName, filterPolicy)),
        filterPolicy,
      );
    } else if (props.Protocol !== 'firehose') {
      // Firehose subscriptions are the archive's (archive-firehose.ts).
      opts.onNote(`${where} (${String(props.Protocol)}) is not made locally`);
    }
  }
}

/** A Lambda subscription: each delivery invokes the handler asynchronously, with Lambda's retries. */
async function subscribeLambda(
  opts: AlertPathOptions,
  subscription: ResourceModel,
  topicArn: string,
): Promise<void> {
  const props = subscription.properties;
  const [logicalId] = (props.Endpoint as { 'Fn::GetAtt'?: string[] })['Fn::GetAtt'] ?? [];
  const fn = [...opts.model.functions.values()].find((candidate) => candidate.logicalId === logicalId);
  const handler = fn === undefined ? undefined : snsHandler(opts.handlers, fn.key);
  if (fn === undefined || handler === undefined) {
    opts.onNote(`subscription ${subscription.logicalId}: its Lambda function is not run locally`);
    return;
  }
  const invoke = opts.instrument(fn.key, handler);
  const subscriptionArn = `${topicArn}:${subscription.logicalId}`;
  await opts.services.subscribe(
    topicArn,
    'lambda',
    async (delivery) => {
      const outcome = await invokeAsync(
        (context) => invoke(snsEventFor(delivery, subscriptionArn) as never, context),
        () => opts.newContext(fn.key),
      );
      if (outcome.error !== undefined)
        opts.onLambdaFailure(fn.key, outcome.error, fn.deadLetterQueueLogicalId);
    },
    props.FilterPolicy as object | undefined,
  );
}

function snsHandler(
  handlers: LocalHandlers,
  key: LocalFunctionKey,
): ((event: never, context: Context) => Promise<void>) | undefined {
  if (key === 'alarmFormatter') return handlers.alarmFormatter;
  if (key === 'slackNotifier') return handlers.slackNotifier;
  return undefined;
}

/** The email an email subscription gets (its recipient is never shown). */
function renderEmail(delivery: SnsDelivery, topic: string, filterPolicy: object | undefined): RenderedEmail {
  const severity = delivery.attributes.severity?.stringValue;
  return {
    topic,
    ...(filterPolicy ? { filterPolicy } : {}),
    ...(severity ? { severity } : {}),
    subject: delivery.subject ?? '',
    body: delivery.message,
  };
}
