import { parseArgs } from 'node:util';
import { startCampaignSimulator } from './server.js';

/**
 * Runs the Campaign API simulator until Ctrl+C:
 *   npx tsx local/campaign-simulator/main.ts [--port 8089] [--user simulator] [--password simulator-secret]
 *     [--client 100001 ...] [--deliver-every 10 --batch-size 20]
 * Point the CLI at it: npm run webhooks -- list --base-url <printed URL> --client 100001
 * (with CAMPAIGN_API_USER / CAMPAIGN_API_PASSWORD set to the same user).
 */

const USAGE = `Usage: npx tsx local/campaign-simulator/main.ts [options]
  --port <n>             port on 127.0.0.1 (default: a free one)
  --user <name>          API user (default: $CAMPAIGN_API_USER or "simulator")
  --password <secret>    API password (default: $CAMPAIGN_API_PASSWORD or "simulator-secret")
  --client <id>          a client id whose events --deliver-every sends (repeatable; default 100001)
  --deliver-every <s>    act as the sender: every <s> seconds, POST a batch to each ACTIVE webhook
  --batch-size <n>       events per generated batch (default 20)
  --help`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      user: { type: 'string' },
      password: { type: 'string' },
      client: { type: 'string', multiple: true },
      'deliver-every': { type: 'string' },
      'batch-size': { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = integerOption(values.port, 'port', 0);
  const clientIds = (values.client ?? ['100001']).map((id) => integerOption(id, 'client', 0));
  const everySeconds =
    values['deliver-every'] === undefined
      ? undefined
      : integerOption(values['deliver-every'], 'deliver-every', 0);
  const batchSize = integerOption(values['batch-size'], 'batch-size', 20);
  const username = values.user ?? process.env.CAMPAIGN_API_USER ?? 'simulator';
  const password = values.password ?? process.env.CAMPAIGN_API_PASSWORD ?? 'simulator-secret';

  const simulator = await startCampaignSimulator({ port, users: [{ username, password }] });
  console.log(`Campaign API simulator listening: ${simulator.baseUrl}`);
  console.log(
    `API user "${username}"; admin: GET ${simulator.baseUrl.replace('/rest', '')}/_simulator/state`,
  );

  let timer: NodeJS.Timeout | undefined;
  if (everySeconds !== undefined && everySeconds > 0) {
    timer = setInterval(async () => {
      for (const clientId of clientIds) {
        const reports = await simulator.deliverBatch(clientId, batchSize);
        for (const report of reports) {
          const last = report.attempts[report.attempts.length - 1];
          console.log(
            `delivered ${report.eventCount} ${report.type} events to webhook ${report.webhookId}: HTTP ${last?.status} after ${report.attempts.length} attempt(s)`,
          );
        }
      }
    }, everySeconds * 1000);
  }

  const stop = async () => {
    if (timer) clearInterval(timer);
    await simulator.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function integerOption(raw: string | undefined, name: string, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) {
    console.error(`--${name} must be a non-negative integer, got "${raw}"\n\n${USAGE}`);
    process.exit(2);
  }
  return Number(raw);
}

main().catch((error: unknown) => {
  console.error((error as Error).message);
  process.exit(1);
});
