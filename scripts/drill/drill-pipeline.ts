import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../infra/config.js';
import { assemblePipeline, type Pipeline } from '../../local/pipeline/assemble.js';
import { type LocalServices, startLocalServices } from '../../local/pipeline/services.js';
import { DRILL_CLIENT_ID } from './events.js';
import type { Scenario } from './scenario.js';

/** The drill's deployment: the defaults that ship, one client, no webhook registration (no Campaign here). */
export function drillConfig(stackName: string) {
  return parseConfig({
    stackName,
    campaign: { clientIds: [DRILL_CLIENT_ID], registerWebhooks: false },
    alerts: { emails: ['oncall@example.com'] },
  });
}

export interface DrillServices {
  readonly services: LocalServices;
  stop(): Promise<void>;
}

/** The local services on a data directory of their own (DynamoDB Local can then be killed and restarted). */
export async function startDrillServices(): Promise<DrillServices> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'campaign-drill-'));
  const services = await startLocalServices({ region: process.env.AWS_REGION || 'eu-central-1', dataDir });
  return {
    services,
    async stop() {
      await services.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The stack-derived pipeline a scenario runs on. */
export function startDrillPipeline(
  services: LocalServices,
  scenario: Scenario,
  options: { stackName?: string; freshModules?: () => void } = {},
): Promise<Pipeline> {
  return assemblePipeline({
    config: drillConfig(options.stackName ?? `Drill${process.pid}`),
    services,
    region: services.region,
    ...(scenario.deferFanOut ? { fanOut: 'deferred' as const } : {}),
    ...(options.freshModules ? { freshModules: options.freshModules } : {}),
  });
}
