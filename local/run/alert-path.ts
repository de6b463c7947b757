import type { Context } from 'aws-lambda';
import { formatAlertEmail } from '../../functions/shared/alerts/email.js';
import { alertFromSnsMessage } from '../../functions/shared/alerts/incoming.js';
import type { RenderedEmail } from './activity.js';
import type { AwsServices, SnsDelivery } from './aws-services.js';
import type { LocalHandlers } from './handlers.js';
import type { LocalResources } from './intrinsics.js';
import { invokeAsync, snsEventFor } from './sns-lambda.js';
import type { LocalFunctionKey, StackModel } from './stack-model.js';

/**
 * The stack's SNS subscriptions, made locally: the alarm topic invokes the alarm-formatter handler, the
 * alerts topic the slack-notifier handler (each as an asynchronous SNS event, with Lambda's two retries;
 * what still fails would wait in the function's dead-letter queue), and each email subscription is rendered
 * as the email it would send, with the subscription's filter policy applied.
 */

export interface AlertPathOptions {
  readonly model: StackModel;
  readonly resources: LocalResources;
  readonly services: AwsServices;
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
    [...model.eventTopics, ...model.alertingTopics].map((topic) => [
      resources.resolveString({ Ref: topic.logicalId }, topic.name),
      topic.name,
    ]),
  );
  const snsHandlers: Partial<Record<LocalFunctionKey, (event: never, context: Context) => Promise<void>>> = {
    ...(opts.handlers.alarmFormatter ? { alarmFormatter: opts.handlers.alarmFormatter } : {}),
    ...(opts.handlers.slackNotifier ? { slackNotifier: opts.handlers.slackNotifier } : {}),
  };

  for (const subscription of model.subscriptions) {
    const props = subscription.properties;
    const where = `subscription ${subscription.logicalId}`;
    const topicArn = resources.resolveString(props.TopicArn, where);
    const filterPolicy = props.FilterPolicy as object | undefined;
    // The archive's Firehose subscriptions are made by its stand-in (archive-firehose.ts).
    if (props.Protocol === 'firehose') continue;
    if (props.Protocol === 'lambda') {
      const [logicalId] = (props.Endpoint as { 'Fn::GetAtt'?: string[] })['Fn::GetAtt'] ?? [];
      const fn = [...model.functions.values()].find((candidate) => candidate.logicalId === logicalId);
      const handler = fn === undefined ? undefined : snsHandlers[fn.key];
      if (fn === undefined || handler === undefined) {
        opts.onNote(`${where}: its Lambda function is not run locally`);
        continue;
      }
      const invoke = opts.instrument(fn.key, handler);
      const subscriptionArn = `${topicArn}:${subscription.logicalId}`;
      await services.subscribe(
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
        filterPolicy,
      );
    } else if (props.Protocol === 'email') {
      const topicName = topicNames.get(topicArn) ?? topicArn;
      await services.subscribe(
        topicArn,
        'email',
        (delivery) => opts.onEmail(renderEmail(delivery, topicName, filterPolicy, services.mode)),
        filterPolicy,
      );
    } else {
      opts.onNote(`${where} (${String(props.Protocol)}) is not made locally`);
    }
  }
}

/** The email an email subscription gets (its recipient is never shown). */
function renderEmail(
  delivery: SnsDelivery,
  topic: string,
  filterPolicy: object | undefined,
  mode: AwsServices['mode'],
): RenderedEmail {
  const severity = delivery.attributes.severity?.stringValue;
  let subject = delivery.subject ?? '';
  let body = delivery.message;
  if (mode === 'localstack' && body.trimStart().startsWith('{')) {
    // An HTTP subscription got the default (Chatbot) message: render the email the same code would send.
    const alert = alertFromSnsMessage(
      { message: body, subject, attributes: severity ? { severity } : {} },
      { defaultSeverity: 'warning' },
    );
    ({ subject, body } = formatAlertEmail(alert));
  }
  return {
    topic,
    ...(filterPolicy ? { filterPolicy } : {}),
    ...(severity ? { severity } : {}),
    subject,
    body,
  };
}
