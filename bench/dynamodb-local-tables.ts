/**
 * `npx tsx bench/dynamodb-local-tables.ts [--rounds 4] [--items 5000]`: what one DynamoDB Local JVM
 * charges for writes to two tables of the same shape, written in turn (the same items, BatchWriteItem of
 * 25, 16 calls in flight). Prints the JVM's CPU per round and table: on one JVM, the table written first
 * stays cheap and the other costs several times as much, which is why bench/throughput.ts gives its floor
 * a DynamoDB Local of its own.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { BatchWriteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startDynamoDbLocal } from '../local/dynamodb-local.js';
import { LOCAL_CREDENTIALS } from '../local/pipeline/services.js';
import { createTable } from '../local/pipeline/tables.js';
import { fixed, median } from './statistics.js';

const CHUNK = 25;
const IN_FLIGHT = 16;
const TABLES = ['first-written', 'second-written'] as const;

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '4' }, items: { type: 'string', default: '5000' } },
});
const items = Number(values.items);

/** CPU milliseconds the process has used (user + system), from /proc. */
function cpuMs(pid: number): number {
  const fields = (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const jvm = await startDynamoDbLocal();
const client = new DynamoDBClient({
  endpoint: jvm.endpoint,
  region: 'eu-central-1',
  credentials: LOCAL_CREDENTIALS,
});
let key = 0;
async function writeItems(tableName: string): Promise<void> {
  const calls = Math.ceil(items / CHUNK);
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      for (; next < calls; next++) {
        const requests = Array.from({ length: CHUNK }, () => ({
          PutRequest: { Item: { pk: { S: `event-${key++}` }, body: { S: 'x'.repeat(400) } } },
        }));
        await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: requests } }));
      }
    }),
  );
}

try {
  for (const tableName of TABLES) {
    await createTable(client, tableName, {
      logicalId: tableName,
      keySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      attributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      streamViewType: 'NEW_AND_OLD_IMAGES',
    });
  }
  const cpu = new Map<string, number[]>(TABLES.map((name) => [name, []]));
  const header = `load before: ${readFileSync('/proc/loadavg', 'utf8').trim()}`;
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const tableName of TABLES) {
      const before = cpuMs(jvm.pid);
      await writeItems(tableName);
      cpu.get(tableName)?.push(cpuMs(jvm.pid) - before);
    }
    process.stderr.write(
      `round ${round + 1}: ${TABLES.map((name) => `${name} ${cpu.get(name)?.at(-1)} ms`).join(', ')}\n`,
    );
  }
  // The first round warms the JIT: the median of the others.
  const warm = (name: string) => median(cpu.get(name)?.slice(1) ?? []);
  process.stdout.write(
    [
      header,
      `load after: ${readFileSync('/proc/loadavg', 'utf8').trim()}`,
      `JVM CPU per ${items} items written (median after the first round): ${TABLES.map((name) => `${name} ${fixed(warm(name), 0)} ms`).join(', ')}; ratio ${fixed(warm(TABLES[1]) / warm(TABLES[0]), 1)}`,
      '',
    ].join('\n'),
  );
} finally {
  client.destroy();
  await jvm.stop();
}
