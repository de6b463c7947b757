import type { PublishCommandInput } from '@aws-sdk/client-sns';
import type { Alert } from '../shared/alerts/alert.js';
import { toChatbotNotification } from '../shared/alerts/chatbot.js';
import { SEVERITY_ATTRIBUTE } from '../shared/alerts/severity.js';
import { formatAlertEmail } from './email.js';

/** SNS message attributes every published alert carries (email subscriptions filter on `severity`). */
export const ALERT_ATTRIBUTES = {
  severity: SEVERITY_ATTRIBUTE,
  state: 'state',
  source: 'source',
} as const;

/**
 * The one way this project publishes an alert to the alerts topic: a per-protocol message (email
 * subscribers get the plain-text body and subject; every other protocol, Chatbot and the Slack sender
 * included, gets the Chatbot custom-notification JSON) with `severity`, `state` and `source` attributes.
 */
export function alertPublishInput(alert: Alert, topicArn: string): PublishCommandInput {
  const email = formatAlertEmail(alert);
  const chatbotJson = JSON.stringify(toChatbotNotification(alert));
  return {
    TopicArn: topicArn,
    Subject: email.subject,
    MessageStructure: 'json',
    Message: JSON.stringify({ default: chatbotJson, email: email.body }),
    MessageAttributes: {
      [ALERT_ATTRIBUTES.severity]: { DataType: 'String', StringValue: alert.severity },
      [ALERT_ATTRIBUTES.state]: { DataType: 'String', StringValue: alert.state },
      [ALERT_ATTRIBUTES.source]: { DataType: 'String', StringValue: alert.source },
    },
  };
}
