// The thread cases (thread-cases.ts) against Discord: real discord.js, the Discord fake, real Redis, a real
// edit worker with Chromium, and the scripted OpenAI-compatible fake.
import { describe } from 'vitest';
import { startDiscordDriver } from './discord-driver.ts';
import { describeThreadCases } from './thread-cases.ts';

describe('thread cases on Discord', { timeout: 120_000 }, () => {
  describeThreadCases(startDiscordDriver);
});
