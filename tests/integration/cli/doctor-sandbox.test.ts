/** `cutroom doctor` says which sandbox mode Chromium runs in, and why: locally and on each browser-server. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type BrowserServer, startBrowserServer } from '../../../src/browser/browser-server.ts';
import { detectChromiumSandbox } from '../../../src/browser/chromium-launch.ts';
import { runChecks } from '../../../src/commands/doctor.ts';
import { loadConfig } from '../../../src/config.ts';

const TOKEN = 'doctor-sandbox-token';
let server: BrowserServer;

beforeAll(async () => {
  server = await startBrowserServer({ token: TOKEN, maxSessions: 1 });
}, 60_000);

afterAll(async () => {
  await server?.close();
});

it('reports the local sandbox mode and the reason for it', async () => {
  const checks = await runChecks(loadConfig({}, { readDotenv: false }));
  const { mode, reason } = detectChromiumSandbox();
  expect(checks.find((c) => c.name === 'Chromium sandbox')).toMatchObject({ detail: `${mode}: ${reason}` });
});

it("reports each browser-server's sandbox mode from its health", async () => {
  const checks = await runChecks(
    loadConfig(
      { BROWSER_WS_ENDPOINT: server.wsEndpoint, CUTROOM_BROWSER_TOKEN: TOKEN },
      { readDotenv: false },
    ),
  );
  const check = checks.find((c) => c.name === `sandbox ${server.wsEndpoint}`);
  expect(check?.detail).toBe(`${server.health().sandbox.mode}: ${server.health().sandbox.reason}`);
});
