// The thread cases (thread-cases.ts) against Discord: real discord.js, the Discord fake, real Redis, a real
// edit worker with Chromium, and the scripted OpenAI-compatible fake.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe } from 'vitest';
import { MediaFixtures } from '../../helpers/media-fixtures.ts';
import { startTestRedis, type TestRedis } from '../../helpers/redis-server.ts';
import { startDiscordDriver } from './discord-driver.ts';
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

describe('thread cases on Discord', { timeout: 120_000 }, () => {
  describeThreadCases(() => startDiscordDriver({ redisUrl: redis.url, clip }));
});
