/** @module Prometheus metrics of the whole process: one registry, incremented by queue, worker and agent code. */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface QueueDepthSample {
  queue: string;
  state: string;
  count: number;
}

const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'cutroom_' });

const depthSources = new Set<() => Promise<QueueDepthSample[]>>();

/**
 * The metrics others increment. Queue depths are read from Redis at scrape time from the sources
 * registered with {@link registerQueueDepthSource}.
 * @example metrics.llmTokens.inc({ model: 'gpt-4.1', kind: 'prompt' }, usage.prompt_tokens)
 */
export const metrics = {
  registry,
  queueDepth: new Gauge({
    name: 'cutroom_queue_depth',
    help: 'Jobs per queue and state',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const source of depthSources) {
        for (const sample of await source().catch(() => [])) {
          this.set({ queue: sample.queue, state: sample.state }, sample.count);
        }
      }
    },
  }),
  jobDuration: new Histogram({
    name: 'cutroom_job_duration_seconds',
    help: 'Time from start to end of one job attempt',
    labelNames: ['queue', 'outcome'] as const,
    buckets: [0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1200],
    registers: [registry],
  }),
  jobWaitSeconds: new Histogram({
    name: 'cutroom_job_wait_seconds',
    help: 'Time from enqueue to the first start of a job',
    labelNames: ['queue'] as const,
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300],
    registers: [registry],
  }),
  jobFailures: new Counter({
    name: 'cutroom_job_failures_total',
    help: 'Failed job attempts by error code',
    labelNames: ['queue', 'code', 'final'] as const,
    registers: [registry],
  }),
  deliveries: new Counter({
    name: 'cutroom_deliveries_total',
    help: 'Deliveries posted, coalesced or failed per platform',
    labelNames: ['platform', 'outcome'] as const,
    registers: [registry],
  }),
  llmTokens: new Counter({
    name: 'cutroom_llm_tokens_total',
    help: 'LLM tokens used, by model and kind (prompt or completion)',
    labelNames: ['model', 'kind'] as const,
    registers: [registry],
  }),
  llmRequests: new Counter({
    name: 'cutroom_llm_requests_total',
    help: 'LLM chat requests, by model and outcome (ok or the error code)',
    labelNames: ['model', 'outcome'] as const,
    registers: [registry],
  }),
};

/** Adds a queue depth source for scrapes; returns the function that removes it. */
export function registerQueueDepthSource(source: () => Promise<QueueDepthSample[]>): () => void {
  depthSources.add(source);
  return () => depthSources.delete(source);
}
