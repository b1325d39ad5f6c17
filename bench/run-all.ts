/** @module `npm run bench [-- name…]`: runs the benchmarks and writes their figures to bench/results/latest.json. */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

type Bench = () => Promise<Record<string, unknown>>;

const BENCHES: Record<string, () => Promise<Bench>> = {
  engine: async () => (await import('./engine-bench.ts')).runEngineBench,
  queue: async () => (await import('./queue-bench.ts')).runQueueBench,
  agent: async () => (await import('./agent-bench.ts')).runAgentBench,
  docs: async () => (await import('./docs-search-bench.ts')).runDocsSearchBench,
  remote: async () => async () => {
    const result = await (await import('./remote-bench.ts')).runRemoteBench();
    return result as unknown as Record<string, number | string>;
  },
  hardening: async () => (await import('./hardening-bench.ts')).runHardeningBench,
  inspect: async () => (await import('./inspect-bench.ts')).runInspectBench,
  eval: async () => (await import('./eval-bench.ts')).runEvalBench,
  ingest: async () => (await import('./ingest-bench.ts')).runIngestBench,
  conversation: async () => (await import('./conversation-bench.ts')).runConversationBench,
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = wanted.length > 0 ? wanted : Object.keys(BENCHES);
const unknown = names.filter((n) => !(n in BENCHES));
if (unknown.length > 0) {
  process.stderr.write(
    `unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(BENCHES).join(', ')}\n`,
  );
  process.exit(2);
}

const results: Record<string, unknown> = {
  date: new Date().toISOString(),
  machine: {
    cpus: os.cpus().length,
    model: os.cpus()[0]?.model,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
  },
};
for (const name of names) {
  const bench = await (await BENCHES[name])();
  results[name] = await bench();
}
const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');
await mkdir(dir, { recursive: true });
await writeFile(path.join(dir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write(`\nfigures written to bench/results/latest.json\n`);
