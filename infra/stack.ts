import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { Config } from './config.js';

export interface CampaignEventsStackProps extends StackProps {
  readonly config: Config;
}

/** The whole product in one stack: one construct per concern, wired together here. */
export class CampaignEventsStack extends Stack {
  constructor(scope: Construct, id: string, props: CampaignEventsStackProps) {
    super(scope, id, props);
  }
}
