import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { MetricStore } from '../pipeline/metric-store.js';
import type { LocalServices } from '../pipeline/services.js';
import { type AlarmTransition, LocalAlarms } from './alarms.js';

/**
 * Evaluates the local alarms, one evaluation at a time, and publishes each state change to the alarm's
 * SNS actions as CloudWatch does (the alarm JSON, a subject, no message attributes); resolves once the
 * alert path has handled them.
 */
export class AlarmEvaluator {
  private readonly sns: SNSClient;
  private evaluation: Promise<AlarmTransition[]> = Promise.resolve([]);
  readonly transitions: AlarmTransition[] = [];

  constructor(
    private readonly alarms: LocalAlarms,
    private readonly metrics: MetricStore,
    private readonly services: LocalServices,
    private readonly opts: {
      readonly region: string;
      /** Called before each evaluation, to add the gauges sampled at that moment. */
      readonly beforeEvaluation: () => void;
      readonly onTransition: (transition: AlarmTransition) => void;
    },
  ) {
    this.sns = new SNSClient({ endpoint: services.endpoints.sns, region: opts.region });
  }

  evaluate(): Promise<AlarmTransition[]> {
    this.evaluation = this.evaluation
      .catch(() => [])
      .then(async () => {
        this.opts.beforeEvaluation();
        const changed = this.alarms.evaluate(this.metrics);
        for (const transition of changed) {
          this.transitions.push(transition);
          this.opts.onTransition(transition);
          for (const topicArn of transition.topics) {
            await this.sns.send(
              new PublishCommand({
                TopicArn: topicArn,
                Subject: LocalAlarms.subject(transition, this.opts.region),
                Message: JSON.stringify(transition.notification),
              }),
            );
          }
        }
        if (changed.length > 0) await this.services.deliveriesSettled();
        return changed;
      });
    return this.evaluation;
  }

  /** Waits for the evaluation in progress, then releases the SNS client. */
  async stop(): Promise<void> {
    await this.evaluation.catch(() => undefined);
    this.sns.destroy();
  }
}
