import { Annotations, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  type AlertSeverity,
  SEVERITY_ATTRIBUTE,
  severitiesAtLeast,
} from '../../functions/shared/alerts/severity.js';
import { ENV, FUNCTION_SERVICES } from '../../functions/shared/contracts/environment.js';
import { ALARM_PERIOD, type AlarmRouter, createProjectAlarm } from './alarms/project-alarm.js';
import { administeredKey, grantKeyUse, KEY_USE_ACTIONS, sendOnlyDestination } from './key-access.js';
import { ProjectFunction, setEnvironment } from './project-function.js';

export interface ChatbotSlackChannel {
  /** Slack workspace (team) id, e.g. T0123456789; authorize the workspace in the Chatbot console first. */
  readonly workspaceId: string;
  /** Slack channel id, e.g. C0123456789 (invite the AWS app into private channels). */
  readonly channelId: string;
}

export interface AlertingProps {
  /** Powertools metrics namespace for the alerting functions. */
  readonly metricsNamespace: string;
  /**
   * Prefix of topic, alarm and channel names.
   * @default the stack name
   */
  readonly namePrefix?: string;
  /**
   * Email addresses subscribed to alerts (each confirms by email once).
   * @default no email subscriptions
   */
  readonly emails?: readonly string[];
  /**
   * Lowest severity emailed (SNS filter policy on the `severity` message attribute).
   * @default 'warning'
   */
  readonly emailMinSeverity?: AlertSeverity;
  /**
   * Name of a Secrets Manager secret holding the Slack incoming-webhook URL (the URL itself, or JSON
   * `{"url": "..."}`); turns on the Slack sender Lambda.
   * @default no Slack sender
   */
  readonly slackWebhookSecretName?: string;
  /**
   * AWS Chatbot Slack channel that receives every alert.
   * @default no Chatbot channel
   */
  readonly chatbotSlack?: ChatbotSlackChannel;
  /**
   * Key that encrypts the alerting topics and queues. Its policy gets statements letting CloudWatch
   * (alarm notifications) and SNS (subscription dead-letter queues) use it, so it must be a key defined
   * in this app, not an imported one.
   * @default a new customer-managed key with rotation
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Your own standard topic for formatted alerts, instead of a new one: the formatter publishes to it
   * (granted here, with its key when the topic has one), the email, Slack and Chatbot channels subscribe
   * to it, and the alerting-health alarms publish to it directly. A topic defined in this app gets the
   * statement that lets CloudWatch publish; an imported one must allow `cloudwatch.amazonaws.com` to
   * publish (and its key, if any, to use it) already: synth warns.
   * @default a new topic `<namePrefix>-alerts`, encrypted with `encryptionKey`
   */
  readonly alertsTopic?: sns.ITopic;
  /**
   * The fan-out's log group: the formatter reads its `Record parked` lines (FilterLogEvents, on this log
   * group only) to name the parked events in the parked-events alarm's alert.
   * @default the alert does not name them
   */
  readonly parkedEventsLogGroup?: logs.ILogGroup;
  /** @default 30 */
  readonly logRetentionDays?: number;
  /**
   * Keep the dead-letter queues (undelivered alerts) when the stack is deleted.
   * @default true
   */
  readonly retainQueues?: boolean;
}

/**
 * Where alerts go. Alarms publish to an internal alarm topic; a small formatter Lambda turns each alarm
 * notification into an alert on the alerts topic: a per-protocol message (plain-text email, Chatbot
 * custom-notification JSON for everything else) with a `severity` message attribute that the email
 * subscriptions filter on. Chatbot and the Slack sender subscribe to the alerts topic.
 *
 * The formatter's own failures must not depend on the formatter: those few "alerting health" alarms
 * publish CloudWatch's own message straight to the alerts topic (Chatbot renders it natively, the Slack
 * sender reads it) and to the alerting-health topic, which every email address receives unfiltered.
 * See docs/ALERTS.md ("Routing").
 */
export class Alerting extends Construct implements AlarmRouter {
  readonly encryptionKey: kms.IKey;
  /** Every project alarm publishes here (CloudWatch's JSON); only the formatter subscribes. */
  readonly alarmTopic: sns.Topic;
  /** Formatted alerts (severity attribute) and the alerting-health alarms. Chatbot, Slack, email subscribe. */
  readonly alertsTopic: sns.ITopic;
  /** Alerting-health alarms only, for the email subscriptions (unfiltered). */
  readonly healthTopic: sns.Topic;
  readonly alarmFormatter: ProjectFunction;
  /** Alarm notifications the formatter could not handle, and alarm-topic deliveries that failed. */
  readonly formatterDeadLetterQueue: sqs.Queue;
  readonly slackNotifier?: ProjectFunction;
  /** Alerts the Slack sender could not post after its retries, and alerts-topic deliveries to it that failed. */
  readonly slackDeadLetterQueue?: sqs.Queue;
  readonly chatbotChannel?: chatbot.SlackChannelConfiguration;
  readonly emailSubscriptions: readonly sns.Subscription[];
  /** Alerts SNS could not deliver to an email address (created when emails are configured). */
  readonly emailDeadLetterQueue?: sqs.Queue;
  /** Alarms on the formatter path; they bypass the formatter. */
  readonly healthAlarms: readonly cloudwatch.Alarm[];
  /** Alarms on the delivery channels (Slack sender, email); they go through the formatter like other alarms. */
  readonly deliveryAlarms: readonly cloudwatch.Alarm[];

  private readonly namePrefix: string;
  private readonly alarmAction: cloudwatch.IAlarmAction;

  constructor(scope: Construct, id: string, props: AlertingProps) {
    super(scope, id);
    validateProps(props);
    const stack = Stack.of(this);
    this.namePrefix = props.namePrefix ?? stack.stackName;
    const retainQueues = props.retainQueues ?? true;
    const logRetentionDays = props.logRetentionDays ?? 30;

    this.encryptionKey =
      props.encryptionKey ??
      administeredKey(this, 'Key', `${this.namePrefix}: encrypts the alerting topics and queues`);
    this.allowServicesToUseKey();

    this.alarmTopic = this.topic('AlarmTopic', 'alarms', 'Campaign events: alarm notifications (internal)');
    this.alertsTopic = props.alertsTopic ?? this.topic('AlertsTopic', 'alerts', 'Campaign events alerts');
    if (props.alertsTopic) this.letCloudWatchPublishTo(props.alertsTopic);
    this.healthTopic = this.topic('HealthTopic', 'alerting-health', 'Campaign events: alerting is unhealthy');
    this.alarmAction = new cloudwatchActions.SnsAction(this.alarmTopic);

    this.formatterDeadLetterQueue = this.deadLetterQueue('FormatterDeadLetterQueue', retainQueues);
    this.alarmFormatter = new ProjectFunction(this, 'AlarmFormatter', {
      service: FUNCTION_SERVICES.alarmFormatter,
      description:
        'Formats CloudWatch alarm notifications into alerts (email text, Chatbot format, severity)',
      metricsNamespace: props.metricsNamespace,
      logRetentionDays,
      memorySize: 256,
      timeout: Duration.seconds(30),
    });
    setEnvironment(this.alarmFormatter, ENV.alertsTopicArn, this.alertsTopic.topicArn);
    this.letFormatterReadParkedEvents(props.parkedEventsLogGroup);
    this.alarmFormatter.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [this.alertsTopic.topicArn] }),
    );
    const alertsKey = props.alertsTopic ? props.alertsTopic.masterKey : this.encryptionKey;
    if (alertsKey) grantKeyUse(alertsKey, this.alarmFormatter, 'sns', KEY_USE_ACTIONS.encryptAndDecrypt);
    parkFailedInvocations(this.alarmFormatter, this.formatterDeadLetterQueue);
    this.alarmTopic.addSubscription(
      new subscriptions.LambdaSubscription(this.alarmFormatter, {
        deadLetterQueue: this.formatterDeadLetterQueue,
      }),
    );

    const emails = props.emails ?? [];
    if (emails.length > 0)
      this.emailDeadLetterQueue = this.deadLetterQueue('EmailDeadLetterQueue', retainQueues);
    this.emailSubscriptions = this.subscribeEmails(emails, props.emailMinSeverity ?? 'warning');

    if (props.slackWebhookSecretName !== undefined) {
      this.slackDeadLetterQueue = this.deadLetterQueue('SlackDeadLetterQueue', retainQueues);
      this.slackNotifier = this.slackSender(props, logRetentionDays, this.slackDeadLetterQueue);
    }
    if (props.chatbotSlack !== undefined) {
      this.chatbotChannel = this.chatbot(props.chatbotSlack);
    }

    this.healthAlarms = this.createHealthAlarms();
    this.deliveryAlarms = this.createDeliveryAlarms();
  }

  /** Routes an alarm (ALARM and OK) through the formatter to every channel, severity-filtered for email. */
  routeAlarm(alarm: cloudwatch.Alarm): void {
    alarm.addAlarmAction(this.alarmAction);
    alarm.addOkAction(this.alarmAction);
  }

  /** The formatter may search the fan-out's log group, and no other, for its `Record parked` lines. */
  private letFormatterReadParkedEvents(logGroup: logs.ILogGroup | undefined): void {
    setEnvironment(this.alarmFormatter, ENV.parkedEventsLogGroup, logGroup?.logGroupName);
    if (logGroup === undefined) return;
    this.alarmFormatter.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['logs:FilterLogEvents'], resources: [logGroup.logGroupArn] }),
    );
  }

  /** Every alarm this construct created. */
  get alarms(): readonly cloudwatch.Alarm[] {
    return [...this.healthAlarms, ...this.deliveryAlarms];
  }

  private topic(id: string, suffix: string, displayName: string): sns.Topic {
    const topic = new sns.Topic(this, id, {
      topicName: `${this.namePrefix}-${suffix}`,
      displayName,
      masterKey: this.encryptionKey,
      enforceSSL: true,
    });
    // enforceSSL gives the topic an explicit policy, which no longer lets services in implicitly.
    topic.addToResourcePolicy(this.cloudWatchPublishes(topic));
    return topic;
  }

  /** A topic passed in gets the same statements (topic and key); an imported one cannot, so synth says what to check. */
  private letCloudWatchPublishTo(topic: sns.ITopic): void {
    const keyReady =
      topic.masterKey === undefined ||
      topic.masterKey === this.encryptionKey ||
      this.letServicesUse(topic.masterKey);
    if (topic.addToResourcePolicy(this.cloudWatchPublishes(topic)).statementAdded && keyReady) return;
    Annotations.of(this).addWarningV2(
      'campaign-events:alertsTopicPolicy',
      `alertsTopic ${topic.node.path} is imported: its policy must let cloudwatch.amazonaws.com publish ` +
        '(the alerting-health alarms publish to it directly), and its KMS key, if any, must let CloudWatch use it.',
    );
  }

  private cloudWatchPublishes(topic: sns.ITopic): iam.PolicyStatement {
    const stack = Stack.of(this);
    return new iam.PolicyStatement({
      sid: 'AllowCloudWatchAlarmsToPublish',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: {
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: {
          'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:*`,
        },
      },
    });
  }

  /**
   * CloudWatch cannot publish to an encrypted topic unless the key lets it (the AWS-managed aws/sns key
   * never does); SNS needs the key to write to the encrypted subscription dead-letter queues.
   * Subscribers need nothing: SNS decrypts before delivery.
   *
   * Both services act on behalf of this account's alarms and topics only (`aws:SourceAccount`, the
   * confused-deputy guard AWS recommends for service principals in key policies). No `aws:SourceArn`: AWS
   * documents no value for it on these KMS requests, and a condition the request does not carry would
   * silently stop every alarm notification.
   */
  private allowServicesToUseKey(): void {
    if (!this.letServicesUse(this.encryptionKey)) {
      throw new Error(
        'Alerting: encryptionKey must be a KMS key defined in this app (its key policy gets a statement for ' +
          'CloudWatch and SNS); omit it to let Alerting create its own key.',
      );
    }
  }

  /** Whether the key's policy could be extended (an imported key's cannot). */
  private letServicesUse(key: kms.IKey): boolean {
    const statement = new iam.PolicyStatement({
      sid: 'AllowAlarmAndNotificationServices',
      principals: [
        new iam.ServicePrincipal('cloudwatch.amazonaws.com'),
        new iam.ServicePrincipal('sns.amazonaws.com'),
      ],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
    });
    return key.addToResourcePolicy(statement, true).statementAdded;
  }

  private deadLetterQueue(id: string, retain: boolean): sqs.Queue {
    const queue = new sqs.Queue(this, id, {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.encryptionKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    const reason = 'This queue is itself a dead-letter queue (of Lambda invocations and SNS subscriptions).';
    Validations.of(queue).acknowledge({ id: 'AwsSolutions-SQS3', reason });
    Validations.of(queue).acknowledge({ id: 'Serverless-SQSRedrivePolicy', reason });
    return queue;
  }

  private subscribeEmails(emails: readonly string[], minSeverity: AlertSeverity): sns.Subscription[] {
    const created: sns.Subscription[] = [];
    emails.forEach((email, index) => {
      created.push(
        new sns.Subscription(this, `EmailAlerts${index}`, {
          topic: this.alertsTopic,
          protocol: sns.SubscriptionProtocol.EMAIL,
          endpoint: email,
          filterPolicy: {
            [SEVERITY_ATTRIBUTE]: sns.SubscriptionFilter.stringFilter({
              allowlist: severitiesAtLeast(minSeverity),
            }),
          },
          deadLetterQueue: this.emailDeadLetterQueue,
        }),
        new sns.Subscription(this, `EmailHealth${index}`, {
          topic: this.healthTopic,
          protocol: sns.SubscriptionProtocol.EMAIL,
          endpoint: email,
          deadLetterQueue: this.emailDeadLetterQueue,
        }),
      );
    });
    return created;
  }

  private slackSender(
    props: AlertingProps,
    logRetentionDays: number,
    deadLetterQueue: sqs.Queue,
  ): ProjectFunction {
    const secretName = props.slackWebhookSecretName as string;
    const secret = secretsmanager.Secret.fromSecretNameV2(this, 'SlackWebhookSecret', secretName);
    const sender = new ProjectFunction(this, 'SlackNotifier', {
      service: FUNCTION_SERVICES.slackNotifier,
      description: 'Posts alerts to a Slack incoming webhook (Block Kit), with retries',
      metricsNamespace: props.metricsNamespace,
      logRetentionDays,
      memorySize: 256,
      // Up to 4 attempts of at most 5 s each, with backoff and Retry-After waits of up to 20 s; the sender
      // starts no wait and attempt that would end within 3 s of this timeout (Lambda retries instead).
      timeout: Duration.seconds(60),
    });
    setEnvironment(sender, ENV.slackWebhookSecretName, secretName);
    secret.grantRead(sender);
    parkFailedInvocations(sender, deadLetterQueue);
    this.alertsTopic.addSubscription(new subscriptions.LambdaSubscription(sender, { deadLetterQueue }));
    return sender;
  }

  private chatbot(channel: ChatbotSlackChannel): chatbot.SlackChannelConfiguration {
    // Read-only CloudWatch access lets Chatbot render alarm notifications (with their graphs).
    const role = new iam.Role(this, 'ChatbotRole', {
      assumedBy: new iam.ServicePrincipal('chatbot.amazonaws.com'),
      description: 'AWS Chatbot channel role: reads CloudWatch alarms and metrics to render notifications',
      inlinePolicies: {
        ReadAlarms: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              actions: ['cloudwatch:Describe*', 'cloudwatch:Get*', 'cloudwatch:List*'],
              resources: ['*'],
            }),
          ],
        }),
      },
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Action::cloudwatch:Describe*]',
      reason:
        'AWS Chatbot notification permissions: read-only CloudWatch, which has no resource-level scoping.',
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Action::cloudwatch:Get*]',
      reason:
        'AWS Chatbot notification permissions: read-only CloudWatch, which has no resource-level scoping.',
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Action::cloudwatch:List*]',
      reason:
        'AWS Chatbot notification permissions: read-only CloudWatch, which has no resource-level scoping.',
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'AWS Chatbot notification permissions: read-only CloudWatch, which has no resource-level scoping.',
    });
    return new chatbot.SlackChannelConfiguration(this, 'ChatbotChannel', {
      slackChannelConfigurationName: `${this.namePrefix}-alerts`.slice(0, 128),
      slackWorkspaceId: channel.workspaceId,
      slackChannelId: channel.channelId,
      notificationTopics: [this.alertsTopic],
      role,
      // Channel members may run read-only commands at most, whatever the role allows.
      guardrailPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('ReadOnlyAccess')],
      loggingLevel: chatbot.LoggingLevel.ERROR,
    });
  }

  /** Alarms that watch the formatter path. Their notifications bypass it (see class comment). */
  private createHealthAlarms(): cloudwatch.Alarm[] {
    const healthRouter: AlarmRouter = {
      routeAlarm: (alarm) => {
        for (const topic of [this.alertsTopic, this.healthTopic]) {
          const action = new cloudwatchActions.SnsAction(topic);
          alarm.addAlarmAction(action);
          alarm.addOkAction(action);
        }
      },
    };
    const gte = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;
    const firstLook = 'check the alarm-formatter logs in CloudWatch Logs';
    return [
      createProjectAlarm(
        this,
        this.namePrefix,
        {
          slug: 'alarm-formatter-errors',
          severity: 'critical',
          title: 'Alarm formatter is failing',
          meaning:
            'Alarm notifications may not be formatted or delivered: other alarms can fire without anyone hearing of it.',
          firstAction: `Open the CloudWatch alarms console for alarms in ALARM, then ${firstLook}.`,
          metric: this.alarmFormatter.metricErrors({ period: ALARM_PERIOD, statistic: 'Sum' }),
          threshold: 1,
          comparisonOperator: gte,
        },
        healthRouter,
      ),
      createProjectAlarm(
        this,
        this.namePrefix,
        {
          slug: 'alarm-formatter-throttles',
          severity: 'warning',
          title: 'Alarm formatter is throttled',
          meaning: 'Alert delivery is delayed while Lambda throttles the formatter (SNS keeps retrying).',
          firstAction:
            'Check the account concurrency (Lambda console, Concurrency) and other functions using it.',
          metric: this.alarmFormatter.metricThrottles({ period: ALARM_PERIOD, statistic: 'Sum' }),
          threshold: 1,
          comparisonOperator: gte,
        },
        healthRouter,
      ),
      createProjectAlarm(
        this,
        this.namePrefix,
        {
          slug: 'alarm-formatter-dlq',
          severity: 'critical',
          title: 'Alarm notifications parked undelivered',
          meaning:
            'At least one alarm notification could not be formatted or delivered; it waits in the formatter dead-letter queue.',
          firstAction: `Read the queue messages (ErrorMessage attribute) and the alarm history, then ${firstLook}.`,
          metric: this.formatterDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
            period: ALARM_PERIOD,
            statistic: 'Maximum',
          }),
          threshold: 0,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        },
        healthRouter,
      ),
      createProjectAlarm(
        this,
        this.namePrefix,
        {
          slug: 'alarm-topic-delivery-failures',
          severity: 'critical',
          title: 'Alarm topic cannot reach the formatter',
          meaning: 'SNS failed to deliver alarm notifications to the formatter Lambda.',
          firstAction: 'Check the formatter function exists and its resource policy lets SNS invoke it.',
          metric: this.alarmTopic.metricNumberOfNotificationsFailed({
            period: ALARM_PERIOD,
            statistic: 'Sum',
          }),
          threshold: 1,
          comparisonOperator: gte,
        },
        healthRouter,
      ),
      createProjectAlarm(
        this,
        this.namePrefix,
        {
          slug: 'alerts-topic-delivery-failures',
          severity: 'warning',
          title: 'Alerts could not reach a channel',
          meaning: 'SNS failed to deliver alerts to a subscriber (email, Chatbot or the Slack sender).',
          firstAction:
            'In the SNS console, check the alerts topic subscriptions (confirmed? Chatbot channel still configured?).',
          metric: this.alertsTopic.metricNumberOfNotificationsFailed({
            period: ALARM_PERIOD,
            statistic: 'Sum',
          }),
          threshold: 1,
          comparisonOperator: gte,
        },
        healthRouter,
      ),
    ];
  }

  /** Delivery-channel alarms go through the formatter: email and Chatbot still work when Slack does not. */
  private createDeliveryAlarms(): cloudwatch.Alarm[] {
    const alarms: cloudwatch.Alarm[] = [];
    const parked = (queue: sqs.Queue) =>
      queue.metricApproximateNumberOfMessagesVisible({ period: ALARM_PERIOD, statistic: 'Maximum' });
    if (this.slackDeadLetterQueue !== undefined) {
      alarms.push(
        createProjectAlarm(
          this,
          this.namePrefix,
          {
            slug: 'slack-notifier-dlq',
            severity: 'warning',
            title: 'Alerts not delivered to Slack',
            meaning:
              'At least one alert could not be posted to the Slack webhook after every retry; it waits in the Slack dead-letter queue.',
            firstAction:
              'Read the slack-notifier logs (HTTP status, Slack error code); check the webhook secret and that the webhook still exists.',
            metric: parked(this.slackDeadLetterQueue),
            threshold: 0,
            comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          },
          this,
        ),
      );
    }
    if (this.emailDeadLetterQueue !== undefined) {
      alarms.push(
        createProjectAlarm(
          this,
          this.namePrefix,
          {
            slug: 'email-alerts-dlq',
            severity: 'warning',
            title: 'Alerts not delivered by email',
            meaning:
              'SNS could not deliver at least one alert email; it waits in the email dead-letter queue.',
            firstAction:
              'In the SNS console, check the email subscriptions are confirmed and the addresses still accept mail.',
            metric: parked(this.emailDeadLetterQueue),
            threshold: 0,
            comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          },
          this,
        ),
      );
    }
    return alarms;
  }
}

/** Asynchronous invocations (SNS) that still fail after Lambda's two retries go to the queue, with the error. */
function parkFailedInvocations(fn: ProjectFunction, queue: sqs.Queue): void {
  fn.configureAsyncInvoke({
    retryAttempts: 2,
    maxEventAge: Duration.hours(6),
    onFailure: new destinations.SqsDestination(sendOnlyDestination(fn, 'OnFailureDestination', queue, fn)),
  });
  Validations.of(fn).acknowledge({
    id: 'Serverless-LambdaDLQ',
    reason:
      'Failed asynchronous invocations go to an SQS on-failure destination, which keeps the error with the event; a classic DLQ would duplicate it.',
  });
}

function validateProps(props: AlertingProps): void {
  const emails = props.emails ?? [];
  const seen = new Set<string>();
  for (const email of emails) {
    if (Token.isUnresolved(email)) continue;
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
      throw new Error(`Alerting: "${email}" is not an email address`);
    }
    const key = email.toLowerCase();
    if (seen.has(key)) throw new Error(`Alerting: email address "${email}" is listed twice`);
    seen.add(key);
  }
  const channel = props.chatbotSlack;
  if (channel !== undefined) {
    if (!Token.isUnresolved(channel.workspaceId) && !/^[A-Z0-9]{1,255}$/.test(channel.workspaceId)) {
      throw new Error(
        `Alerting: chatbotSlack.workspaceId "${channel.workspaceId}" is not a Slack workspace id (like T0123456789)`,
      );
    }
    if (!Token.isUnresolved(channel.channelId) && !/^[A-Za-z0-9]{1,255}$/.test(channel.channelId)) {
      throw new Error(
        `Alerting: chatbotSlack.channelId "${channel.channelId}" is not a Slack channel id (like C0123456789)`,
      );
    }
  }
  if (props.slackWebhookSecretName !== undefined && props.slackWebhookSecretName.trim() === '') {
    throw new Error(
      'Alerting: slackWebhookSecretName must not be empty; omit it to turn the Slack sender off',
    );
  }
}
