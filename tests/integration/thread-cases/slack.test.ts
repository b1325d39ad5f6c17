// The thread cases (thread-cases.ts) against Slack: real Bolt over HTTP, the Slack fake, real Redis, a real
// edit worker with Chromium, and the scripted OpenAI-compatible fake.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe } from 'vitest';
import { MediaFixtures } from '../../helpers/media-fixtures.ts';
import { startTestRedis, type TestRedis } from '../../helpers/redis-server.ts';
import { startSlackDriver } from './slack-driver.ts';
import { describeThreadCases } from './thread-cases.ts';

let redis: TestRedis;
let media: MediaFixtures;
let clip: Buffer;

beforeAll(async () => {
  redis = await startTestRedis();
  media = await MediaFixtures.create();
  clip = await readFile(await media.clip('clip.mp4', { seconds: 3, width: 320, height: 240 }));
});
afterAll(async () => {
  await redis?.close();
  await media?.close();
});

describe('thread cases on Slack', { timeout: 120_000 }, () => {
  describeThreadCases(() => startSlackDriver({ redisUrl: redis.url, clip }));
});
