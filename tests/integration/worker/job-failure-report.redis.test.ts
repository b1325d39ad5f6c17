// Redis-only suite with real child worker processes and the Slack fake: a job whose workers keep dying is failed by
// BullMQ, not by any failure path of ours, so only a process that survives can tell the thread.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { webApi } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSlackSurface } from '../../../src/bots/slack/slack-surface.ts';
import { loadConfig } from '../../../src/config.ts';
import { createSilentLogger } from '../../../src/logger.ts';
import type { Services } from '../../../src/open-services.ts';
import { jobIdFor } from '../../../src/queue/redis-keys.ts';
import { SlackFakeServer } from '../../fakes/slack-fake-server.ts';
import { type ChildWorker, spawnChildWorker } from '../../helpers/child-worker.ts';
import { makeRequest, openTestServices, waitUntil } from '../../helpers/queue-fixtures.ts';
import { startTestRedis, type TestRedis } from '../../helpers/redis-server.ts';

// Child processes start through tsx and the machine is shared: allow more than the default minute.
describe('a job whose workers keep dying', { timeout: 120_000 }, () => {
  let redis: TestRedis;
  let slack: SlackFakeServer;
  let services: Services;
  let dir: string;
  let deliveries: { close(): Promise<void> };
  const children: ChildWorker[] = [];

  const starts = async (requestId: string) =>
    (await readFile(path.join(dir, 'runs.log'), 'utf8').catch(() => ''))
      .split('\n')
      .filter((line) => line.startsWith(`start ${requestId} `));
  const spawnWorker = () =>
    spawnChildWorker({
      TEST_REDIS_URL: redis.url,
      TEST_PREFIX: services.prefix,
      TEST_LOG_DIR: dir,
      TEST_LOCK_MS: '1000',
      TEST_STALLED_MS: '300',
    }).then((worker) => {
      children.push(worker);
      return worker;
    });

  beforeEach(async () => {
    redis = await startTestRedis();
    slack = await new SlackFakeServer().start();
    dir = await mkdtemp(path.join(tmpdir(), 'cutroom-crashes-'));
    services = await openTestServices(
      loadConfig({ REDIS_URL: redis.url, CUTROOM_DATA_DIR: dir }, { readDotenv: false }),
    );
    const client = new webApi.WebClient(slack.botToken, {
      slackApiUrl: slack.apiUrl,
      retryConfig: { retries: 0 },
    });
    deliveries = await services.startDeliveries(
      'slack',
      createSlackSurface({ client, logger: createSilentLogger() }),
      { logger: createSilentLogger(), statusIntervalMs: 100 },
    );
  });

  afterEach(async () => {
    await Promise.all(children.splice(0).map((c) => c.kill()));
    await deliveries.close();
    await services.close();
    await slack.close();
    await redis.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('ends with a failed status and a message saying what to do after its worker is killed three times', async () => {
    const request = makeRequest({ prompt: JSON.stringify({ sleepMs: 60_000 }) });
    await services.deliveries.enqueue({
      kind: 'status',
      thread: request.thread,
      requestId: request.id,
      stage: 'queued',
      text: '',
    });
    await services.edits.enqueue(request);
    const live = await Promise.all([spawnWorker(), spawnWorker()]);

    for (let kill = 1; kill <= 3; kill++) {
      const line = await waitUntil(async () => (await starts(request.id))[kill - 1], {
        timeoutMs: 30_000,
        what: `run ${kill}`,
      });
      const pid = Number(line.split(' ')[2]);
      const victim = live.findIndex((w) => w.pid === pid);
      await live[victim]?.kill();
      // A replacement starts while the survivor takes the job over, as a supervisor would restart it.
      live[victim] = await spawnWorker();
    }

    const reply = await slack.waitFor(
      () => slack.botMessages(request.thread.threadId).find((m) => /stopped unexpectedly/.test(m.text)),
      { timeoutMs: 30_000, what: 'the failure reply' },
    );
    expect(reply.text).toMatch(/stopped unexpectedly 3 times.*Reply in this thread to try again/);
    const status = slack.botMessages(request.thread.threadId)[0];
    expect(status?.text).toMatch(/Failed/);
    expect((status?.blocks as { type: string }[] | undefined)?.some((b) => b.type === 'actions')).toBe(false);
    expect(await starts(request.id)).toHaveLength(3);
    const job = await services.edits.queue.getJob(jobIdFor(request.id));
    expect(await job?.getState()).toBe('failed');
    // The listener of every worker that saw the failure posts under one key: one reply, however many.
    await new Promise((r) => setTimeout(r, 500));
    expect(
      slack.botMessages(request.thread.threadId).filter((m) => /stopped unexpectedly/.test(m.text)),
    ).toHaveLength(1);
  });
});
