import { PUBLISH_CONCURRENCY } from '../functions/fan-out/publisher.js';
import { median } from './statistics.js';
import type { WarmResult } from './warm.js';

export const FULL_VCPU_MB = 1769;
export const PARTITION_WRITES_PER_SECOND = 1000;
export const REQUIRED_HEADROOM = 5;
const ARM_GB_SECOND_USD = 0.0000133334;
const REQUEST_USD = 0.2 / 1_000_000;

/**
 * The fan-out's memory setting, simulated: Lambda gives a function CPU in proportion to its memory
 * (1,769 MB = one vCPU), so a batch's CPU time at M MB is the measured CPU time × 1769 / M. Add the
 * PublishBatch round trips (calls / publisher concurrency, each `snsLatencyMs`; not measured here:
 * the stub answers at once) and it gives events/s per concurrent invocation, the parallelization factor
 * a shard needs for 5× a partition's write rate, and the Lambda cost per million events.
 */
export function sizingReport(batch: WarmResult, snsLatencyMs: number): string {
  const cpuMicrosPerEvent = median(batch.samples.handler);
  const waitMs = Math.ceil(batch.awsCalls.publishBatch / PUBLISH_CONCURRENCY) * snsLatencyMs;
  const target = PARTITION_WRITES_PER_SECOND * REQUIRED_HEADROOM;
  const lines = [
    `Fan-out sizing from the ${batch.events}-record batch: ${cpuMicrosPerEvent.toFixed(1)} µs CPU/event at one vCPU,`,
    `${batch.awsCalls.publishBatch} PublishBatch calls, ${snsLatencyMs} ms each (assumed), ${PUBLISH_CONCURRENCY} in flight;`,
    `target per shard: ${REQUIRED_HEADROOM} × ${PARTITION_WRITES_PER_SECOND} writes/s = ${target} events/s.`,
    '',
    '| memory MB | vCPU | batch ms (CPU + wait) | events/s per invocation | parallelization factor for the target | $ per million events (Lambda) |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const memory of [128, 256, 512, 1024, FULL_VCPU_MB]) {
    const vcpu = Math.min(1, memory / FULL_VCPU_MB);
    const batchMs = (cpuMicrosPerEvent * batch.events) / vcpu / 1000 + waitMs;
    const perInvocation = (batch.events / batchMs) * 1000;
    const factor = Math.ceil(target / perInvocation);
    const invocations = 1_000_000 / batch.events;
    const cost = invocations * ((memory / 1024) * (batchMs / 1000) * ARM_GB_SECOND_USD + REQUEST_USD);
    lines.push(
      `| ${memory} | ${vcpu.toFixed(3)} | ${batchMs.toFixed(0)} | ${perInvocation.toFixed(0)} | ` +
        `${factor > 10 ? `${factor} (over 10: not reachable)` : factor} | ${cost.toFixed(3)} |`,
    );
  }
  return lines.join('\n');
}
