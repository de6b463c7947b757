/**
 * One cold start of one bundle, in a fresh `node` process started by bench/run.ts: imports the handler
 * module as Lambda's runtime does and reports, on file descriptor 3, the CPU the import took, the whole
 * process's CPU so far and its memory. Node builtins only (it runs without tsx, types stripped by Node).
 */
import { writeSync } from 'node:fs';

const entry = process.argv[2];
if (entry === undefined) throw new Error('usage: node init-sample.ts <file URL of index.mjs>');
const before = process.cpuUsage();
await import(entry);
const imported = process.cpuUsage(before);
const total = process.cpuUsage();
const memory = process.memoryUsage();
writeSync(
  3,
  JSON.stringify({
    importMicros: imported.user + imported.system,
    processMicros: total.user + total.system,
    rssBytes: memory.rss,
    heapUsedBytes: memory.heapUsed,
  }),
);
