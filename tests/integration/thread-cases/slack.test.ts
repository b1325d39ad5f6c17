// The thread cases (thread-cases.ts) against Slack: real Bolt over HTTP, the Slack fake, real Redis, a real
// edit worker with Chromium, and the scripted OpenAI-compatible fake.
import { describe } from 'vitest';
import { startSlackDriver } from './slack-driver.ts';
import { describeThreadCases } from './thread-cases.ts';

describe('thread cases on Slack', { timeout: 120_000 }, () => {
  describeThreadCases(startSlackDriver);
});
