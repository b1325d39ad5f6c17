/** @module Test helper: edit requests, unique Redis prefixes, services on them and a delivery collector for queue and worker tests. */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Config } from '../../src/config.ts';
import { DeliveryConsumer } from '../../src/deliveries/delivery-consumer.ts';
import type { Delivery } from '../../src/deliveries/types.ts';
import { createSilentLogger } from '../../src/logger.ts';
import { openServices, type Services } from '../../src/open-services.ts';
import type { EditRequest, Platform } from '../../src/queue/types.ts';

export function uniquePrefix(): string {
  return `test-${randomUUID().slice(0, 8)}`;
}

let counter = 0;

export function makeRequest(overrides: Partial<EditRequest> = {}): EditRequest {
  counter++;
  return {
    id: `slack:Ev${randomUUID().slice(0, 8)}`,
    thread: { platform: 'slack', workspaceId: 'T1', channelId: 'C1', threadId: `1700000000.${counter}` },
    user: { id: 'U1', name: 'ana' },
    kind: 'edit',
    prompt: 'cut to the best 5 seconds',
    assets: [],
    receivedAt: Date.now(),
    ...overrides,
  };
}

/** A real DeliveryConsumer recording what it was asked to post. */
export async function collectDeliveries(options: {
  connection: Redis;
  prefix: string;
  platform?: Platform;
  handler?: (delivery: Delivery) => Promise<void>;
  /** @defaultValue the consumer's (1000) */
  statusIntervalMs?: number;
}): Promise<{ delivered: Delivery[]; consumer: DeliveryConsumer }> {
  const delivered: Delivery[] = [];
  const consumer = new DeliveryConsumer({
    connection: options.connection,
    prefix: options.prefix,
    platform: options.platform ?? 'slack',
    statusIntervalMs: options.statusIntervalMs,
    handler: async (delivery) => {
      await options.handler?.(delivery);
      delivered.push(delivery);
    },
  });
  await consumer.start();
  return { delivered, consumer };
}

/** Polls `check` until it returns a truthy value (conditions, not durations, are what tests assert). */
export async function waitUntil<T>(
  check: () => T | Promise<T>,
  { timeoutMs = 15_000, what = 'condition' } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`waitUntil: ${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The services a cutroom process opens (src/open-services.ts), on a unique key prefix; close them after the test. */
export function openTestServices(config: Config): Promise<Services> {
  return openServices({ config, logger: createSilentLogger(), prefix: uniquePrefix() });
}
