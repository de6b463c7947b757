import type { Context, SNSEvent } from 'aws-lambda';
import type { SnsDelivery } from './services.js';

/** The event Lambda receives from an SNS subscription for one delivery. */
export function snsEventFor(delivery: SnsDelivery, subscriptionArn: string): SNSEvent {
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: subscriptionArn,
        Sns: {
          Type: 'Notification',
          MessageId: delivery.messageId,
          TopicArn: delivery.topicArn,
          Subject: delivery.subject ?? null,
          Message: delivery.message,
          Timestamp: delivery.timestamp,
          SignatureVersion: '1',
          Signature: 'local',
          SigningCertUrl: 'https://sns.local/cert.pem',
          UnsubscribeUrl: 'https://sns.local/unsubscribe',
          MessageAttributes: Object.fromEntries(
            Object.entries(delivery.attributes).map(([name, value]) => [
              name,
              { Type: value.dataType, Value: value.stringValue ?? '' },
            ]),
          ),
        },
      },
    ],
  } as unknown as SNSEvent;
}

/** Lambda's retries of a failed asynchronous invocation (SNS invokes asynchronously) before its DLQ. */
export const ASYNC_INVOKE_RETRIES = 2;

/**
 * Invokes a handler as Lambda does for an asynchronous event: up to two retries when it fails; resolves
 * with the last error when every attempt failed (the stack's dead-letter queue would then hold the event).
 */
export async function invokeAsync(
  invoke: (context: Context) => Promise<unknown>,
  newContext: () => Context,
): Promise<{ attempts: number; error?: unknown }> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= ASYNC_INVOKE_RETRIES + 1; attempt++) {
    try {
      await invoke(newContext());
      return { attempts: attempt };
    } catch (error) {
      lastError = error;
    }
  }
  return { attempts: ASYNC_INVOKE_RETRIES + 1, error: lastError };
}
