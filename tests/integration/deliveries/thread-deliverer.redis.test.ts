// Redis-only suite: what each delivery looks like in a thread, against a surface that keeps what it was shown.
// The status board and the "posted once" markers are Redis state; the files come from a real artifact store.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeliveryContext, DeliveryHandler } from '../../../src/deliveries/delivery-consumer.ts';
import { StatusBoard } from '../../../src/deliveries/status-board.ts';
import {
  createThreadDeliverer,
  type ThreadDelivererOptions,
} from '../../../src/deliveries/thread-deliverer.ts';
import type { Delivery } from '../../../src/deliveries/types.ts';
import { CutroomError, ErrorCode } from '../../../src/errors.ts';
import { createLogger } from '../../../src/logger.ts';
import { ArtifactStore, renderKey } from '../../../src/queue/artifact-store.ts';
import { closeRedisConnection, createRedisConnection } from '../../../src/queue/redis-connection.ts';
import type { ArtifactRef, ThreadRef } from '../../../src/queue/types.ts';
import { uniquePrefix } from '../../helpers/queue-fixtures.ts';
import { RecordingSurface } from '../../helpers/recording-surface.ts';
import { startTestRedis, type TestRedis } from '../../helpers/redis-server.ts';

const thread: ThreadRef = { platform: 'discord', workspaceId: 'G1', channelId: 'C1', threadId: 'T1' };
const requestId = 'discord:1';

describe('createThreadDeliverer', () => {
  let redis: TestRedis;
  let connection: Redis;
  let root: string;
  let store: ArtifactStore;
  let prefix: string;
  let jobs = 0;

  beforeEach(async () => {
    redis = await startTestRedis();
    connection = createRedisConnection(redis.url);
    root = await mkdtemp(path.join(tmpdir(), 'cutroom-deliverer-'));
    store = new ArtifactStore({ root });
    prefix = uniquePrefix();
  });

  afterEach(async () => {
    await closeRedisConnection(connection);
    await redis.close();
    await rm(root, { recursive: true, force: true });
  });

  function deliverer(
    surface: RecordingSurface,
    extra: Pick<ThreadDelivererOptions, 'onResultPosted' | 'logger'> = {},
  ): (delivery: Delivery, context?: DeliveryContext) => Promise<void> {
    const handler: DeliveryHandler = createThreadDeliverer({
      surface,
      statuses: new StatusBoard({ redis: connection, prefix }),
      store,
      redis: connection,
      prefix,
      ...extra,
    });
    return (delivery, context) => handler(delivery, context ?? { jobId: `job-${++jobs}`, attempt: 1 });
  }

  const status = (stage: 'queued' | 'editing' | 'done'): Delivery => ({
    kind: 'status',
    thread,
    requestId,
    stage,
    text: '',
  });

  async function render(): Promise<ArtifactRef> {
    return store.write(renderKey(thread, requestId), Buffer.from('mp4'), {
      name: 'cutroom.mp4',
      mimeType: 'video/mp4',
    });
  }

  const result = (file: ArtifactRef): Delivery => ({
    kind: 'result',
    thread,
    requestId,
    file,
    text: 'Kept the first two seconds.',
    version: 2,
    durationSeconds: 2,
  });

  it('posts a request’s status message once, edits it, and ends it without its Cancel button', async () => {
    const surface = new RecordingSurface(true);
    const deliver = deliverer(surface);
    await deliver(status('queued'));
    await deliver(status('editing'));
    const [message] = surface.messages;
    expect(surface.messages).toHaveLength(1);
    expect(message.text).toMatch(/Editing/);
    expect(message.actions).toEqual([{ kind: 'cancel', requestId }]);
    await deliver(status('done'));
    expect(message.text).toMatch(/Done/);
    expect(message.actions).toEqual([]);
    await deliver(status('editing'));
    expect(message.text).toMatch(/Done/);
  });

  it('posts a new status message when the old one was deleted', async () => {
    const surface = new RecordingSurface(true);
    const deliver = deliverer(surface);
    await deliver(status('queued'));
    surface.delete(surface.messages[0].id);
    await deliver(status('editing'));
    expect(surface.messages.map((m) => m.text)).toEqual([expect.stringMatching(/Editing/)]);
  });

  it('uploads the result with its Undo button where uploads carry buttons, and ends the status as Done', async () => {
    const surface = new RecordingSurface(true);
    const deliver = deliverer(surface);
    await deliver(status('editing'));
    await deliver(result(await render()));
    const [statusMessage, upload] = surface.messages;
    expect(upload.file).toMatchObject({
      name: 'cutroom.mp4',
      size: 3,
      path: store.pathFor(renderKey(thread, requestId)),
    });
    expect(upload.text).toMatch(/\*\*Version 2\*\* · 2 s\nKept the first two seconds\./);
    expect(upload.actions).toEqual([{ kind: 'undo', version: 2 }]);
    expect(statusMessage.text).toMatch(/Done · version 2/);
    expect(statusMessage.actions).toEqual([]);
  });

  it('posts the result and logs a warning when the link to its version cannot be kept', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn' }, { write: (line: string) => lines.push(line) });
    const surface = new RecordingSurface(true);
    const deliver = deliverer(surface, {
      onResultPosted: async () => {
        throw new Error('redis is read-only');
      },
      logger,
    });
    await deliver(result(await render()));
    expect(surface.messages.some((m) => m.file?.name === 'cutroom.mp4')).toBe(true);
    const warning = JSON.parse(lines.join(''));
    expect(warning).toMatchObject({ msg: 'could not keep the link to a version', version: 2, requestId });
    expect(warning.err.message).toBe('redis is read-only');
  });

  it('puts the Undo button in a note after the upload where uploads carry none', async () => {
    const surface = new RecordingSurface(false);
    await deliverer(surface)(result(await render()));
    expect(surface.messages.map((m) => [m.text.split('\n')[0], m.actions ?? []])).toEqual([
      ['**Version 2** · 2 s', []],
      ['Version 2 is ready.', [{ kind: 'undo', version: 2 }]],
    ]);
  });

  it('posts nothing twice when a delivery is retried', async () => {
    const surface = new RecordingSurface(false);
    const deliver = deliverer(surface);
    const file = await render();
    await deliver(result(file), { jobId: 'job-result', attempt: 1 });
    await deliver(result(file), { jobId: 'job-result', attempt: 2 });
    expect(surface.messages).toHaveLength(2);
  });

  it('says so in the thread when the platform refuses the file as too large', async () => {
    const surface = new RecordingSurface(true);
    surface.refuseNextUploadAs = new CutroomError(ErrorCode.UploadTooLarge, 'too large', {
      userMessage: 'The video is too large for this server. Ask for a shorter cut.',
    });
    await deliverer(surface)(result(await render()));
    expect(surface.messages.map((m) => m.text)).toEqual([
      '⚠️ The video is too large for this server. Ask for a shorter cut.',
    ]);
  });

  it('refuses to post a file that has gone from the store, with asset_missing', async () => {
    const surface = new RecordingSurface(true);
    const file = await render();
    await store.delete(file.key);
    await expect(deliverer(surface)(result(file))).rejects.toMatchObject({ code: 'asset_missing' });
    expect(surface.messages).toEqual([]);
  });

  it('ends the status as Failed and replies with the error, or as Cancelled without a warning sign', async () => {
    const surface = new RecordingSurface(true);
    const deliver = deliverer(surface);
    await deliver(status('editing'));
    await deliver({ kind: 'error', thread, requestId, code: 'render_failed', text: 'The render failed.' });
    expect(surface.messages.map((m) => m.text)).toEqual([
      expect.stringMatching(/Failed/),
      '⚠️ The render failed.',
    ]);
    await deliver({ kind: 'error', thread, requestId: 'discord:2', code: 'cancelled', text: 'Cancelled.' });
    expect(surface.messages.at(-1)?.text).toBe('Cancelled.');
  });
});
