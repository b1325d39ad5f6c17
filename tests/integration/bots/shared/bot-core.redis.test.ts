// Redis-only suite: the shared request flow of both bots, on real Redis (queues, thread state, status board),
// a real artifact store and real ffprobe. Files arrive through the IncomingFile interface as a platform hands them over.
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BotCore, BotMessages, type IncomingRequest } from '../../../../src/bots/shared/bot-core.ts';
import type { IncomingFile } from '../../../../src/bots/shared/ingest-attachments.ts';
import { loadConfig } from '../../../../src/config.ts';
import type { DeliveryConsumer } from '../../../../src/deliveries/delivery-consumer.ts';
import type { Delivery } from '../../../../src/deliveries/types.ts';
import { createSilentLogger } from '../../../../src/logger.ts';
import type { Services } from '../../../../src/open-services.ts';
import type { EditRequest, ThreadRef } from '../../../../src/queue/types.ts';
import { MediaFixtures } from '../../../helpers/media-fixtures.ts';
import { collectDeliveries, openTestServices, waitUntil } from '../../../helpers/queue-fixtures.ts';
import { startTestRedis, type TestRedis } from '../../../helpers/redis-server.ts';

let redis: TestRedis;
let media: MediaFixtures;
let clipPath: string;

beforeAll(async () => {
  redis = await startTestRedis();
  media = await MediaFixtures.create();
  clipPath = await media.clip('clip.mp4', { seconds: 1, width: 160, height: 120 });
});

afterAll(async () => {
  await redis?.close();
  await media?.close();
});

describe('BotCore', () => {
  let services: Services;
  let consumer: DeliveryConsumer;
  let delivered: Delivery[];
  let thread: ThreadRef;

  async function open(env: Record<string, string> = {}): Promise<BotCore> {
    const config = loadConfig(
      { REDIS_URL: redis.url, CUTROOM_DATA_DIR: path.join(media.dir, randomUUID()), ...env },
      { readDotenv: false },
    );
    services = await openTestServices(config);
    ({ delivered, consumer } = await collectDeliveries({
      connection: services.redis,
      prefix: services.prefix,
      statusIntervalMs: 0,
    }));
    return new BotCore({
      platform: 'slack',
      logger: createSilentLogger(),
      services,
      limits: config.limits,
      allowlist: { workspaces: [], channels: config.slack?.allowedChannels ?? ['C0VIDEO'] },
    });
  }

  beforeEach(() => {
    thread = {
      platform: 'slack',
      workspaceId: 'T1',
      channelId: 'C0VIDEO',
      threadId: `${Date.now()}.${randomUUID().slice(0, 4)}`,
    };
  });

  afterEach(async () => {
    await consumer?.close();
    await services?.close();
  });

  function clip(name = 'clip.mp4', options: { delayMs?: number } = {}): IncomingFile {
    return {
      name,
      mimeType: 'video/mp4',
      async open() {
        if (!options.delayMs) return createReadStream(clipPath);
        const body = new PassThrough();
        setTimeout(() => createReadStream(clipPath).pipe(body), options.delayMs);
        return body;
      },
    };
  }

  function request(text: string, fields: Partial<IncomingRequest> = {}): IncomingRequest {
    return {
      id: `slack:Ev${randomUUID().slice(0, 8)}`,
      thread,
      user: { id: 'U1' },
      text,
      files: [],
      addressed: false,
      ...fields,
    };
  }

  const jobs = async (): Promise<EditRequest[]> =>
    (await services.edits.queue.getJobs(['waiting', 'active', 'delayed']))
      .map((j) => j.data)
      .sort((a, b) => a.receivedAt - b.receivedAt);
  const replies = () =>
    delivered
      .filter((d) => d.kind === 'message' || d.kind === 'error')
      .map((d) => ('text' in d ? d.text : ''));

  it('queues an addressed request with its probed clips and the platform’s upload limit', async () => {
    const core = await open();
    const outcome = await core.handle(
      request('trim it', { addressed: true, files: [clip()], uploadLimitBytes: 8_000_000 }),
    );
    expect(outcome).toBe('queued');
    const [job] = await jobs();
    expect(job).toMatchObject({ kind: 'edit', prompt: 'trim it', thread, uploadLimitBytes: 8_000_000 });
    expect(job.assets).toEqual([
      expect.objectContaining({ name: 'clip.mp4', kind: 'video', width: 160, height: 120 }),
    ]);
    expect(await services.threads.owns(thread)).toBe(true);
    expect(await services.threads.latestRequest(thread)).toBe(job.id);
  });

  it('reserves the request’s status before the job exists, so the status is the first post of the request', async () => {
    const core = await open();
    const req = request('trim it', { addressed: true, files: [clip()] });
    await core.handle(req);
    const statusJobs = await services.deliveries
      .queueFor('slack')
      .getJobs(['completed', 'waiting', 'active']);
    const [editJob] = await services.edits.queue.getJobs(['waiting']);
    const firstStatus = Math.min(...statusJobs.map((j) => j.timestamp));
    expect(firstStatus).toBeLessThanOrEqual(editJob.timestamp);
    await waitUntil(
      () => delivered.some((d) => d.kind === 'status' && d.stage === 'queued' && d.queuePosition === 1),
      { what: 'the queued status with its position' },
    );
    expect(delivered.every((d) => d.kind === 'status' && d.requestId === req.id)).toBe(true);
  });

  it('handles a platform’s retried event once', async () => {
    const core = await open();
    const req = request('trim it', { addressed: true, files: [clip()] });
    expect(await core.handle(req)).toBe('queued');
    expect(await core.handle(req)).toBe('duplicate');
    expect(await jobs()).toHaveLength(1);
  });

  it('ignores a plain reply in a thread it does not own, without a word', async () => {
    const core = await open();
    expect(await core.handle(request('make it shorter', { files: [clip()] }))).toBe('ignored');
    await sleep(200);
    expect(await jobs()).toEqual([]);
    expect(delivered).toEqual([]);
  });

  it('refuses an addressed request outside the allowlist with a reply, and downloads nothing', async () => {
    const core = await open();
    let opened = 0;
    const file: IncomingFile = {
      ...clip(),
      open: async () => {
        opened++;
        return Readable.from([]);
      },
    };
    expect(
      await core.handle(
        request('trim', { addressed: true, files: [file], thread: { ...thread, channelId: 'C0OTHER' } }),
      ),
    ).toBe('not_allowed');
    await waitUntil(() => replies().includes(BotMessages.notAllowed), { what: 'the refusal' });
    expect(opened).toBe(0);
  });

  it('asks for a clip when a mention in a new thread brings none, and uses clips posted earlier in the thread', async () => {
    const core = await open();
    expect(await core.handle(request('trim', { addressed: true }))).toBe('refused');
    await waitUntil(() => replies().includes(BotMessages.noClip), { what: 'the request for a clip' });
    expect(
      await core.handle(
        request('trim', { addressed: true, earlierFiles: async () => [clip('earlier.mp4')] }),
      ),
    ).toBe('queued');
    expect((await jobs())[0].assets.map((a) => a.name)).toEqual(['earlier.mp4']);
  });

  it('takes a plain reply in its thread as the next request, without files', async () => {
    const core = await open();
    await core.handle(request('trim', { addressed: true, files: [clip()] }));
    expect(await core.handle(request('now add a title'))).toBe('queued');
    expect((await jobs()).map((j) => [j.kind, j.prompt, j.assets.length])).toEqual([
      ['edit', 'trim', 1],
      ['edit', 'now add a title', 0],
    ]);
  });

  it('refuses an undo in a thread it never worked in, and queues one in its own thread', async () => {
    const core = await open();
    expect(await core.handle(request('undo', { addressed: true }))).toBe('refused');
    await waitUntil(() => replies().includes(BotMessages.nothingToUndo), { what: 'the refusal' });
    await core.handle(request('trim', { addressed: true, files: [clip()] }));
    expect(await core.handle(request('undo'))).toBe('queued');
    expect((await jobs()).map((j) => j.kind)).toEqual(['edit', 'undo']);
  });

  it('cancels the thread’s latest request, shows it as cancelled, and says so when nothing runs', async () => {
    const core = await open();
    const first = request('trim', { addressed: true, files: [clip()] });
    await core.handle(first);
    expect(await core.handle(request('cancel'))).toBe('cancel_requested');
    expect(await jobs()).toEqual([]);
    await waitUntil(
      () => delivered.some((d) => d.kind === 'status' && d.requestId === first.id && d.stage === 'cancelled'),
      { what: 'the cancelled status' },
    );
    expect(await core.handle(request('stop'))).toBe('nothing_to_cancel');
    await waitUntil(() => replies().includes(BotMessages.nothingToCancel), { what: 'nothing to cancel' });
  });

  it('answers a request over the rate limit and queues nothing', async () => {
    const core = await open({ CUTROOM_RATE_USER_PER_HOUR: '1' });
    await core.handle(request('trim', { addressed: true, files: [clip()] }));
    expect(await core.handle(request('again'))).toBe('rate_limited');
    await waitUntil(() => replies().some((r) => /reached 1 edits per hour/.test(r)), { what: 'the refusal' });
    expect(await jobs()).toHaveLength(1);
  });

  it('keeps a thread’s arrival order: an undo sent during a slow download is queued after the edit', async () => {
    const core = await open();
    await core.handle(request('trim', { addressed: true, files: [clip()] }));
    const slow = core.handle(request('add this at the end', { files: [clip('late.mp4', { delayMs: 400 })] }));
    const undo = core.handle(request('undo'));
    expect(await Promise.all([slow, undo])).toEqual(['queued', 'queued']);
    expect((await jobs()).map((j) => j.kind)).toEqual(['edit', 'edit', 'undo']);
  });

  it('replies with the reason when a clip is refused, ends the reserved status, and keeps none of its files', async () => {
    const core = await open();
    const broken: IncomingFile = {
      name: 'broken.mp4',
      mimeType: 'video/mp4',
      open: async () => Readable.from([Buffer.alloc(4096, 7)]),
    };
    const req = request('trim', { addressed: true, files: [broken] });
    expect(await core.handle(req)).toBe('rejected');
    await waitUntil(() => replies().some((r) => /"broken\.mp4"/.test(r)), { what: 'the refusal' });
    expect(await jobs()).toEqual([]);
    const files = await readdir(services.artifacts.root, { recursive: true }).catch(() => []);
    expect(files.filter((f) => String(f).endsWith('.mp4'))).toEqual([]);
  });
});
